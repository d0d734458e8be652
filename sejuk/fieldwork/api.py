"""JSON API for field work: /api/v1/field/… (see docs/fieldwork.md)."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db.models import Max, Prefetch
from django.http import Http404
from django.utils import timezone
from ninja import Field, File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status

from sejuk.accounts import audit
from sejuk.accounts.access import get_in_scope, scope_for, visible_officers, visible_wilayah
from sejuk.fieldwork import actions
from sejuk.fieldwork.access import (
    can_read_contacts,
    can_write_fieldwork,
    may_write_in,
    visible_activities,
    visible_complaints,
    visible_contacts,
    visible_titik,
)
from sejuk.fieldwork.models import (
    TOPICS,
    Activity,
    ComplaintStatus,
    Contact,
    ContactRole,
    FieldComplaint,
    SyncConflict,
    TitikCategory,
    TitikRawan,
    Visit,
    Vulnerability,
)
from sejuk.fieldwork.photos import photo_url
from sejuk.territory.models import Level

router = Router(tags=["fieldwork"])
MAX_PHOTO_BYTES = 10 * 1024 * 1024


# --- schemas -----------------------------------------------------------------


class VisitIn(Schema):
    titik_id: int
    checkin_at: dt.datetime | None = None
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    accuracy_m: float | None = Field(None, ge=0, le=100_000)


class ComplaintIn(Schema):
    client_uuid: uuid.UUID
    summary: str = Field(..., min_length=1, max_length=300)
    details: str = Field("", max_length=20_000)
    raised_by: str = Field("", max_length=150)
    due_date: dt.date | None = None


class ActivitySyncIn(Schema):
    client_uuid: uuid.UUID
    base_version: int | None = Field(None, ge=1)
    client_edited_at: dt.datetime | None = None
    kind: str
    started_at: dt.datetime
    ended_at: dt.datetime | None = None
    kelurahan: str = Field(..., max_length=13)
    officer_ids: list[int] = Field(default_factory=list, max_length=20)
    location_text: str = ""
    people_met: str = ""
    people_count: int | None = None
    contact_ids: list[int] = Field(default_factory=list, max_length=200)
    topics: list[str] = Field(default_factory=list, max_length=50)
    topics_other: str = ""
    appeals: str = ""
    notes: str = ""
    follow_up_needed: bool = False
    visits: list[VisitIn] = Field(default_factory=list, max_length=200)
    complaints: list[ComplaintIn] = Field(default_factory=list, max_length=100)


class VisitOut(Schema):
    titik_id: int
    distance_m: float | None
    flagged: bool


class ConflictOut(Schema):
    id: int | None = None
    field: str
    kept: object = None
    discarded: object = None


class SyncOut(Schema):
    status: str
    id: int
    client_uuid: uuid.UUID
    version: int
    conflicts: list[ConflictOut]
    visits: list[VisitOut]


class Message(Schema):
    detail: str


class PhotoOut(Schema):
    id: int
    status: str
    width: int
    height: int
    url: str


class TitikIn(Schema):
    name: str = Field(..., min_length=1, max_length=200)
    category: str
    kelurahan: str
    lat: float = Field(..., ge=-90, le=90)
    lon: float = Field(..., ge=-180, le=180)
    street: str = Field("", max_length=200)
    rt: str = Field("", max_length=3)
    rw: str = Field("", max_length=3)
    vulnerability: str = Vulnerability.SEDANG
    vulnerability_reason: str = ""
    active_from: dt.date | None = None
    active_until: dt.date | None = None
    notes: str = ""


class TitikOut(Schema):
    id: int
    name: str
    category: str
    kelurahan: str
    lat: float
    lon: float
    street: str
    rt: str
    rw: str
    address: str
    vulnerability: str
    vulnerability_reason: str
    active_from: dt.date | None
    active_until: dt.date | None
    notes: str
    last_visit_at: dt.datetime | None = None


class ContactIn(Schema):
    name: str = Field(..., min_length=1, max_length=150)
    category: str
    role_title: str = Field(..., min_length=1, max_length=150)
    kelurahan: str
    phone: str = Field("", max_length=30, pattern=r"^[0-9+ ()-]*$")
    notes: str = ""


class ContactOut(Schema):
    id: int
    name: str
    category: str
    role_title: str
    kelurahan: str
    phone: str
    notes: str
    meetings: list[dict] = []


class ActivityOut(Schema):
    id: int
    client_uuid: uuid.UUID
    version: int
    kind: str
    started_at: dt.datetime
    ended_at: dt.datetime | None
    kelurahan: str
    officer_ids: list[int]
    contact_ids: list[int]
    location_text: str
    people_met: str
    people_count: int | None
    topics: list[str]
    topics_other: str
    appeals: str
    notes: str
    follow_up_needed: bool
    visits: list[dict]
    complaints: list[dict]
    photos: int
    conflicts: list[dict]


class ComplaintOut(Schema):
    id: int
    client_uuid: uuid.UUID
    summary: str
    details: str
    raised_by: str
    kelurahan: str
    status: str
    owner_id: int
    owner: str
    due_date: dt.date
    overdue: bool
    handed_to: str
    resolution: str
    activity_id: int | None
    events: list[dict] = []


class TransitionIn(Schema):
    status: str
    note: str = Field("", max_length=5000)
    handed_to: str = Field("", max_length=150)
    resolution: str = Field("", max_length=20_000)


# --- helpers -----------------------------------------------------------------


def _activity_out(a: Activity) -> dict:
    return {
        "id": a.pk,
        "client_uuid": a.client_uuid,
        "version": a.version,
        "kind": a.kind,
        "started_at": a.started_at,
        "ended_at": a.ended_at,
        "kelurahan": a.kelurahan_id,
        "officer_ids": sorted(o.pk for o in a.officers.all()),
        "contact_ids": sorted(c.pk for c in a.contacts.all()),
        "location_text": a.location_text,
        "people_met": a.people_met,
        "people_count": a.people_count,
        "topics": a.topics,
        "topics_other": a.topics_other,
        "appeals": a.appeals,
        "notes": a.notes,
        "follow_up_needed": a.follow_up_needed,
        "visits": [
            {
                "titik_id": v.titik_id,
                "titik": v.titik.name,
                "checkin_at": v.checkin_at.isoformat(),
                "distance_m": v.distance_m,
                "flagged": v.flagged,
            }
            for v in a.visits.all()
        ],
        "complaints": [
            {
                "id": c.pk,
                "client_uuid": str(c.client_uuid),
                "summary": c.summary,
                "status": c.status,
            }
            for c in a.complaints.all()
        ],
        "photos": len(a.photos.all()),
        "conflicts": [
            {"id": c.pk, "field": c.field, "kept": c.kept_value, "discarded": c.discarded_value}
            for c in a.conflicts.all()
            if not c.acknowledged
        ],
    }


def _activities_qs(user):
    return visible_activities(user).prefetch_related(
        "officers",
        "contacts",
        Prefetch("visits", queryset=Visit.objects.select_related("titik")),
        "complaints",
        "photos",
        "conflicts",
    )


def _complaint_out(c: FieldComplaint, events: bool = False) -> dict:
    out = {
        "id": c.pk,
        "client_uuid": c.client_uuid,
        "summary": c.summary,
        "details": c.details,
        "raised_by": c.raised_by,
        "kelurahan": c.kelurahan_id,
        "status": c.status,
        "owner_id": c.owner_id,
        "owner": str(c.owner),
        "due_date": c.due_date,
        "overdue": c.is_overdue(),
        "handed_to": c.handed_to,
        "resolution": c.resolution,
        "activity_id": c.activity_id,
    }
    if events:
        out["events"] = [
            {
                "at": e.at.isoformat(),
                "from": e.from_status,
                "to": e.to_status,
                "note": e.note,
                "actor": e.actor.get_username() if e.actor else None,
            }
            for e in c.events.select_related("actor")
        ]
    return out


def _titik_out(t: TitikRawan) -> dict:
    return {
        "id": t.pk,
        "name": t.name,
        "category": t.category,
        "kelurahan": t.kelurahan_id,
        "lat": t.lat,
        "lon": t.lon,
        "street": t.street,
        "rt": t.rt,
        "rw": t.rw,
        "address": t.address,
        "vulnerability": t.vulnerability,
        "vulnerability_reason": t.vulnerability_reason,
        "active_from": t.active_from,
        "active_until": t.active_until,
        "notes": t.notes,
        "last_visit_at": getattr(t, "last_visit_at", None),
    }


def _choice(value: str, choices, name: str) -> None:
    if value not in choices.values:
        raise actions.FieldworkError({name: f"must be one of {', '.join(choices.values)}"})


# --- sync --------------------------------------------------------------------


@router.post(
    "/field/activities/sync",
    response={200: SyncOut, 201: SyncOut, 403: Message, 404: Message},
    summary="Create or update an activity from a device (idempotent by client_uuid)",
)
def sync_activity(request, payload: ActivitySyncIn):
    result = actions.do_sync_activity(request.auth, payload.dict())
    a = result.activity
    body = {
        "status": result.status,
        "id": a.pk,
        "client_uuid": a.client_uuid,
        "version": a.version,
        "conflicts": result.conflicts,
        "visits": result.visits,
    }
    return Status(201 if result.created else 200, body)


@router.post(
    "/field/activities/{client_uuid}/photos",
    response={200: PhotoOut, 201: PhotoOut, 403: Message, 404: Message, 413: Message},
    summary="Attach a photo to a synced activity (idempotent by photo_uuid)",
)
def add_photo(
    request,
    client_uuid: uuid.UUID,
    photo: File[UploadedFile],
    photo_uuid: Form[uuid.UUID],
    caption: Form[str] = "",
):
    if photo.size is not None and photo.size > MAX_PHOTO_BYTES:
        return Status(413, {"detail": f"photo larger than {MAX_PHOTO_BYTES // 1024 // 1024} MB"})
    data = photo.read(MAX_PHOTO_BYTES + 1)
    p, created = actions.do_add_photo(request.auth, client_uuid, photo_uuid, data, caption)
    body = {
        "id": p.pk,
        "status": "created" if created else "duplicate",
        "width": p.width,
        "height": p.height,
        "url": photo_url(p),
    }
    return Status(201 if created else 200, body)


@router.get("/field/bootstrap", summary="What the phone caches for offline work today")
def bootstrap(request):
    user = request.auth
    scope = scope_for(user)
    kelurahan = list(visible_wilayah(user).filter(level=Level.KELURAHAN).order_by("kode")[:200])
    kodes = [k.kode for k in kelurahan]
    today = timezone.localdate()
    titik = [
        t
        for t in visible_titik(user)
        .filter(kelurahan_id__in=kodes)
        .annotate(last_visit_at=Max("visits__checkin_at"))
        if t.is_active_on(today)
    ]
    contacts = list(
        visible_contacts(user)
        .filter(kelurahan_id__in=kodes)
        .values("id", "name", "role_title", "kelurahan_id")
    )
    if contacts:
        audit.log(
            audit.AuditAction.VIEW,
            object_type="fieldwork.contact",
            object_repr=f"{len(contacts)} contacts (name, role) for offline use",
            changes={"fields": ["name", "role_title"], "ids": [c["id"] for c in contacts]},
        )
    since = timezone.now() - dt.timedelta(days=7)
    recent = _activities_qs(user).filter(started_at__gte=since)[:100]
    officer = user.officer
    complaints = visible_complaints(user).filter(
        status__in=[ComplaintStatus.OPEN, ComplaintStatus.IN_PROGRESS]
    )
    if officer is not None:
        complaints = complaints.filter(owner=officer)
    return {
        "generated_at": timezone.now().isoformat(),
        "user": {"username": user.username, "role": user.role, "name": user.display_name()},
        "officer": {"id": officer.pk, "name": str(officer), "nrp": officer.nrp}
        if officer
        else None,
        "can_write": can_write_fieldwork(user),
        "scope": list(scope.prefixes),
        "kelurahan": [
            {
                "kode": k.kode,
                "nama": k.nama,
                "centroid": [k.centroid_lat, k.centroid_lon]
                if k.centroid_lat is not None
                else None,
                "geometry": k.geometry if len(kodes) <= 10 else None,
            }
            for k in kelurahan
        ],
        "titik": [_titik_out(t) for t in titik],
        "contacts": [
            {
                "id": c["id"],
                "name": c["name"],
                "role_title": c["role_title"],
                "kelurahan": c["kelurahan_id"],
            }
            for c in contacts
        ],
        "topics": [{"key": k, "label": str(v)} for k, v in TOPICS],
        "kinds": [{"key": k, "label": str(v)} for k, v in Activity._meta.get_field("kind").choices],
        "complaints": [_complaint_out(c) for c in complaints.select_related("owner")[:200]],
        "officers": [
            {"id": o.pk, "name": str(o), "kelurahan": sorted(k.kode for k in o.kelurahan.all())}
            for o in visible_officers(user).filter(active=True).prefetch_related("kelurahan")[:500]
        ],
        "activities": [_activity_out(a) for a in recent],
    }


# --- activities --------------------------------------------------------------


class ActivityFilter(Schema):
    kelurahan: str | None = None
    kind: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    client_uuid: uuid.UUID | None = None
    follow_up: bool | None = None
    limit: int = Field(100, ge=1, le=1000)


@router.get("/field/activities", response=list[ActivityOut], summary="Activities in your territory")
def list_activities(request, f: Query[ActivityFilter]):
    qs = _activities_qs(request.auth)
    if f.kelurahan:
        qs = qs.filter(kelurahan_id=f.kelurahan)
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.since:
        qs = qs.filter(started_at__date__gte=f.since)
    if f.until:
        qs = qs.filter(started_at__date__lte=f.until)
    if f.client_uuid:
        qs = qs.filter(client_uuid=f.client_uuid)
    if f.follow_up is not None:
        qs = qs.filter(follow_up_needed=f.follow_up)
    return [_activity_out(a) for a in qs[: f.limit]]


@router.get("/field/activities/{activity_id}", response={200: ActivityOut, 404: Message})
def get_activity(request, activity_id: int):
    return _activity_out(get_in_scope(_activities_qs(request.auth), request.auth, activity_id))


@router.post("/field/conflicts/{conflict_id}/ack", response={200: Message, 404: Message})
def ack_conflict(request, conflict_id: int):
    conflict = (
        SyncConflict.objects.select_related("activity")
        .filter(pk=conflict_id, activity__in=visible_activities(request.auth))
        .first()
    )
    if conflict is None:
        raise Http404
    actions.do_ack_conflict(request.auth, conflict)
    return {"detail": "acknowledged"}


# --- titik rawan -------------------------------------------------------------


@router.get("/field/titik", response=list[TitikOut], summary="Titik rawan in your territory")
def list_titik(request, kelurahan: str | None = None, category: str | None = None):
    qs = visible_titik(request.auth).annotate(last_visit_at=Max("visits__checkin_at"))
    if kelurahan:
        qs = qs.filter(kelurahan_id=kelurahan)
    if category:
        qs = qs.filter(category=category)
    return [_titik_out(t) for t in qs[:5000]]


@router.get("/field/titik/{titik_id}", response={200: TitikOut, 404: Message})
def get_titik(request, titik_id: int):
    qs = visible_titik(request.auth).annotate(last_visit_at=Max("visits__checkin_at"))
    return _titik_out(get_in_scope(qs, request.auth, titik_id))


def _titik_from(payload: TitikIn, titik: TitikRawan) -> TitikRawan:
    _choice(payload.category, TitikCategory, "category")
    _choice(payload.vulnerability, Vulnerability, "vulnerability")
    for name, value in payload.dict().items():
        if name == "kelurahan":
            titik.kelurahan_id = value
        else:
            setattr(titik, name, value)
    return titik


@router.post("/field/titik", response={201: TitikOut, 403: Message, 404: Message})
def create_titik(request, payload: TitikIn):
    titik = actions.do_save_titik(request.auth, _titik_from(payload, TitikRawan()))
    return Status(201, _titik_out(titik))


@router.put("/field/titik/{titik_id}", response={200: TitikOut, 403: Message, 404: Message})
def update_titik(request, titik_id: int, payload: TitikIn):
    titik = get_in_scope(visible_titik(request.auth), request.auth, titik_id)
    return _titik_out(actions.do_save_titik(request.auth, _titik_from(payload, titik)))


@router.delete(
    "/field/titik/{titik_id}", response={204: None, 403: Message, 404: Message, 409: Message}
)
def delete_titik(request, titik_id: int):
    titik = get_in_scope(visible_titik(request.auth), request.auth, titik_id)
    if not may_write_in(request.auth, titik.kelurahan_id):
        return Status(403, {"detail": "your role does not edit the titik rawan registry"})
    if titik.visits.exists():
        return Status(
            409, {"detail": "this titik has visits; set its active period to end instead"}
        )
    titik.delete()
    return Status(204, None)


# --- contacts (personal data: every view audited) ------------------------------


def _contact_out(c: Contact, with_meetings: bool = False) -> dict:
    out = {
        "id": c.pk,
        "name": c.name,
        "category": c.category,
        "role_title": c.role_title,
        "kelurahan": c.kelurahan_id,
        "phone": c.phone,
        "notes": c.notes,
        "meetings": [],
    }
    if with_meetings:
        out["meetings"] = [
            {"activity_id": a.pk, "kind": a.kind, "started_at": a.started_at.isoformat()}
            for a in c.meetings.order_by("-started_at")[:100]
        ]
    return out


def _contacts_or_403(user):
    if not can_read_contacts(user):
        raise actions.NotAllowed(
            "contacts are visible to the responsible officers and their superiors only"
        )
    return visible_contacts(user)


@router.get(
    "/field/contacts", response={200: list[ContactOut], 403: Message}, summary="Contacts (audited)"
)
def list_contacts(request, kelurahan: str | None = None):
    qs = _contacts_or_403(request.auth)
    if kelurahan:
        qs = qs.filter(kelurahan_id=kelurahan)
    rows = list(qs[:2000])
    audit.log_views(request.auth, rows, list(Contact.PERSONAL_FIELDS), source="api")
    return [_contact_out(c) for c in rows]


@router.get("/field/contacts/{contact_id}", response={200: ContactOut, 403: Message, 404: Message})
def get_contact(request, contact_id: int):
    c = get_in_scope(_contacts_or_403(request.auth), request.auth, contact_id)
    audit.log_view(request.auth, c, list(Contact.PERSONAL_FIELDS), source="api")
    return _contact_out(c, with_meetings=True)


def _contact_from(payload: ContactIn, contact: Contact) -> Contact:
    _choice(payload.category, ContactRole, "category")
    data = payload.dict()
    contact.kelurahan_id = data.pop("kelurahan")
    for k, v in data.items():
        setattr(contact, k, v)
    return contact


@router.post("/field/contacts", response={201: ContactOut, 403: Message, 404: Message})
def create_contact(request, payload: ContactIn):
    c = actions.do_save_contact(request.auth, _contact_from(payload, Contact()))
    return Status(201, _contact_out(c))


@router.put("/field/contacts/{contact_id}", response={200: ContactOut, 403: Message, 404: Message})
def update_contact(request, contact_id: int, payload: ContactIn):
    user = request.auth
    c = get_in_scope(_contacts_or_403(user), user, contact_id)
    return _contact_out(actions.do_save_contact(user, _contact_from(payload, c)))


# --- complaints ----------------------------------------------------------------


@router.get(
    "/field/complaints", response=list[ComplaintOut], summary="Complaints heard in the field"
)
def list_complaints(request, status: str | None = None, mine: bool = False, overdue: bool = False):
    qs = visible_complaints(request.auth).select_related("owner")
    if status:
        qs = qs.filter(status=status)
    if mine:
        qs = qs.filter(owner_id=request.auth.officer_id or -1)
    rows = [_complaint_out(c) for c in qs[:2000]]
    if overdue:
        rows = [r for r in rows if r["overdue"]]
    return rows


@router.get("/field/complaints/{complaint_id}", response={200: ComplaintOut, 404: Message})
def get_complaint(request, complaint_id: int):
    c = get_in_scope(
        visible_complaints(request.auth).select_related("owner"), request.auth, complaint_id
    )
    return _complaint_out(c, events=True)


@router.post(
    "/field/complaints/{complaint_id}/transition",
    response={200: ComplaintOut, 403: Message, 404: Message},
)
def transition_complaint(request, complaint_id: int, payload: TransitionIn):
    c = get_in_scope(visible_complaints(request.auth), request.auth, complaint_id)
    c = actions.do_transition_complaint(
        request.auth,
        c,
        payload.status,
        note=payload.note,
        handed_to=payload.handed_to,
        resolution=payload.resolution,
    )
    return _complaint_out(c, events=True)

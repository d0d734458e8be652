"""Reports API: public intake and ticket status; the follow-up loop for staff."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from ninja import Field, Router, Schema
from ninja.responses import Status

from sejuk.accounts import ratelimit
from sejuk.accounts.middleware import client_ip
from sejuk.reports import actions
from sejuk.reports.access import ACTION_ROLES, role_allows, visible_reports
from sejuk.reports.models import OPEN_STATUSES, Category, Report
from sejuk.territory.models import PoliceUnit

# One router: ninja binds each path once, so the public POST /reports and the
# staff GET /reports must live together. Public operations set auth=None.
router = Router(tags=["reports"])
PUBLIC_TAGS = ["reports (public)"]

LOOKUP_LIMIT_MESSAGE = "Terlalu banyak permintaan. Coba lagi sebentar lagi."
LIMIT_MESSAGE = (
    "Terlalu banyak laporan dari perangkat atau nomor ini. Coba lagi nanti, atau hubungi Call Center 110 "
    "untuk keadaan darurat."
)


class Message(Schema):
    detail: str


class ReportIn(Schema):
    category: str = Field(..., description=f"one of: {', '.join(Category.values)}")
    description: str = Field(..., min_length=10, max_length=5000)
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    address_text: str = Field("", max_length=300)
    anonymous: bool = False
    reporter_name: str = Field("", max_length=150)
    reporter_contact: str = Field("", max_length=150)
    client_key: str | None = Field(None, max_length=64, description="idempotency key (optional)")


class TicketOut(Schema):
    ticket: str


class PublicEvent(Schema):
    at: str
    text: str
    kind: str


class PublicStatusOut(Schema):
    ticket: str
    status: str
    status_label: str
    category: str
    received_at: str
    kelurahan: str | None
    handed_to: str | None
    resolution: str | None
    can_rate: bool
    can_reopen: bool
    events: list[PublicEvent]


def limited(request, contact: str = "") -> bool:
    ip = client_ip(request) or "unknown"
    ip_key = f"report:ip:{ip}"
    keys = [(ip_key, 3600)]
    phone_key = f"report:phone:{actions.reporter_hash(contact)}" if contact else None
    if phone_key:
        keys.append((phone_key, 86400))
    hits = ratelimit.hit_many(keys)  # one statement for both counters
    if hits[ip_key] > settings.SEJUK_PUBLIC_REPORTS_PER_HOUR_IP:
        return True
    return bool(phone_key) and hits[phone_key] > settings.SEJUK_PUBLIC_REPORTS_PER_DAY_PHONE


def lookup_limited(request) -> bool:
    ip = client_ip(request) or "unknown"
    return ratelimit.hit(f"status:ip:{ip}", 60) > settings.SEJUK_STATUS_LOOKUPS_PER_MINUTE_IP


@router.post(
    "/reports",
    auth=None,
    tags=PUBLIC_TAGS,
    response={201: TicketOut, 200: TicketOut, 422: Message, 429: Message},
    summary="File a citizen report (no account needed)",
)
def create_report(request, payload: ReportIn):
    if limited(request, "" if payload.anonymous else payload.reporter_contact):
        return Status(429, {"detail": LIMIT_MESSAGE})
    data = actions.ReportInput(channel="api", **payload.dict())
    report = actions.create_report(data)
    existing = getattr(report, "already_existed", False)
    return Status(200 if existing else 201, {"ticket": report.ticket})


@router.get(
    "/reports/status/{ticket}",
    auth=None,
    tags=PUBLIC_TAGS,
    response={200: PublicStatusOut, 404: Message, 429: Message},
    summary="The reporter's view of a ticket (no internal notes)",
)
def public_status(request, ticket: str):
    if lookup_limited(request):
        return Status(429, {"detail": LOOKUP_LIMIT_MESSAGE})
    code = actions.normalise_ticket(ticket)
    report = (
        Report.objects.filter(ticket=code).select_related("kelurahan", "merged_into").first()
        if code
        else None
    )
    if report is None:
        return Status(404, {"detail": "Tiket tidak ditemukan. Periksa kembali kode tiket Anda."})
    return actions.public_view(report)


class RateIn(Schema):
    rating: int = Field(..., ge=1, le=5)
    comment: str = Field("", max_length=500)


class ReopenIn(Schema):
    reason: str = Field(..., min_length=3, max_length=2000)


def _public_report(request, ticket: str):
    code = actions.normalise_ticket(ticket)
    report = Report.objects.filter(ticket=code).first() if code else None
    if report is None:
        raise actions.NotInScope(ticket)
    return report


@router.post(
    "/reports/status/{ticket}/rate",
    auth=None,
    tags=PUBLIC_TAGS,
    response={200: PublicStatusOut, 404: Message, 429: Message},
)
def rate(request, ticket: str, payload: RateIn):
    if lookup_limited(request):
        return Status(429, {"detail": LOOKUP_LIMIT_MESSAGE})
    report = actions.do_rate(_public_report(request, ticket), payload.rating, payload.comment)
    return actions.public_view(report)


@router.post(
    "/reports/status/{ticket}/reopen",
    auth=None,
    tags=PUBLIC_TAGS,
    response={200: PublicStatusOut, 404: Message, 429: Message},
)
def reopen(request, ticket: str, payload: ReopenIn):
    if lookup_limited(request):
        return Status(429, {"detail": LOOKUP_LIMIT_MESSAGE})
    report = _public_report(request, ticket)
    actions.do_reopen(report, payload.reason)
    report.refresh_from_db()
    return actions.public_view(report)


# --- staff -----------------------------------------------------------------


class ReportOut(Schema):
    id: int
    ticket: str
    channel: str
    category: str
    description: str
    urgency: str
    urgency_reason: str
    status: str
    sla_state: str
    received_at: dt.datetime
    ack_due_at: dt.datetime
    scene_due_at: dt.datetime | None
    acknowledged_at: dt.datetime | None
    on_scene_at: dt.datetime | None
    resolved_at: dt.datetime | None
    escalation_level: int
    lat: float | None
    lon: float | None
    address_text: str
    kelurahan: str | None
    located_by: str
    polsek: str | None
    polres: str | None
    assigned_officer_id: int | None
    merged_into: str | None
    merged: list[str]
    handed_to: str
    anonymous: bool
    rating: int | None
    archived: bool
    events: list[dict] = []


def _out(r: Report, events: bool = False) -> dict:
    out = {
        "id": r.pk,
        "ticket": r.ticket,
        "channel": r.channel,
        "category": r.category,
        "description": r.description,
        "urgency": r.urgency,
        "urgency_reason": r.urgency_reason,
        "status": r.status,
        "sla_state": r.sla_state(),
        "received_at": r.received_at,
        "ack_due_at": r.ack_due_at,
        "scene_due_at": r.scene_due_at,
        "acknowledged_at": r.acknowledged_at,
        "on_scene_at": r.on_scene_at,
        "resolved_at": r.resolved_at,
        "escalation_level": r.escalation_level,
        "lat": r.lat,
        "lon": r.lon,
        "address_text": r.address_text,
        "kelurahan": r.kelurahan_id,
        "located_by": r.located_by,
        "polsek": r.polsek.code if r.polsek_id else None,
        "polres": r.polres.code if r.polres_id else None,
        "assigned_officer_id": r.assigned_officer_id,
        "merged_into": r.merged_into.ticket if r.merged_into_id else None,
        "merged": [m.ticket for m in r.merged_reports.all()],
        "handed_to": r.handed_to,
        "anonymous": r.anonymous,
        "rating": r.rating,
        "archived": r.archived,
    }
    if events:
        out["events"] = [
            {
                "at": e.at.isoformat(),
                "kind": e.kind,
                "actor": e.actor_label,
                "from": e.from_status,
                "to": e.to_status,
                "note": e.note,
                "public": e.public,
            }
            for e in r.timeline()
        ]
    return out


def _qs(user):
    return (
        visible_reports(user)
        .select_related("polsek", "polres", "merged_into")
        .prefetch_related("merged_reports")
    )


@router.get(
    "/reports",
    response=list[ReportOut],
    summary="Reports in your territory (working queue by default)",
)
def list_reports(request, status: str | None = None, queue: str = "open", limit: int = 200):
    qs = _qs(request.auth)
    if queue == "open":
        qs = qs.filter(status__in=OPEN_STATUSES, archived=False, merged_into__isnull=True)
    elif queue == "mine":
        qs = qs.filter(assigned_officer_id=request.auth.officer_id or -1, status__in=OPEN_STATUSES)
    elif queue == "triage":
        qs = qs.filter(kelurahan__isnull=True, status__in=OPEN_STATUSES)
    if status:
        qs = qs.filter(status=status)
    return [_out(r) for r in qs.order_by("ack_due_at")[: max(1, min(limit, 1000))]]


@router.get("/reports/{report_id}", response={200: ReportOut, 404: Message})
def get_report(request, report_id: int):
    return _out(actions.get_report_for_user(request.auth, report_id), events=True)


@router.get("/reports/{report_id}/reporter", response={200: dict, 403: Message, 404: Message},
            summary="The reporter's name and contact (audited; only roles that need it)")  # fmt: skip
def reporter(request, report_id: int):
    return actions.reporter_identity(
        request.auth, actions.get_report_for_user(request.auth, report_id)
    )


class ActionIn(Schema):
    action: str = Field(
        ...,
        description="verify, reject, follow_up, on_scene, resolve, note, reroute, handoff, agency_accepted, merge, unmerge",
    )
    note: str = Field("", max_length=5000)
    reason: str = Field("", max_length=2000)
    officer_id: int | None = None
    kelurahan: str | None = Field(None, max_length=13)
    polsek: str | None = Field(None, max_length=64)
    agency: str | None = None
    agency_detail: str = Field("", max_length=150)
    into_ticket: str | None = None
    public: bool = False


@router.post(
    "/reports/{report_id}/actions",
    response={200: ReportOut, 403: Message, 404: Message, 422: Message},
)
def act(request, report_id: int, payload: ActionIn):
    user = request.auth
    r = actions.get_report_for_user(user, report_id, write=True)
    a = payload.action
    if a not in ACTION_ROLES:
        raise actions.ReportError(
            {"action": f"unknown action; use one of {', '.join(ACTION_ROLES)}"}
        )
    if not role_allows(user, a):
        raise actions.NotAllowed(f"your role may not {a.replace('_', ' ')} reports")
    if not r.allows(a):
        raise actions.ReportError({"status": f"{a} is not possible while the report is {r.status}"})
    if a == "verify":
        r = actions.do_verify(user, r, payload.note)
    elif a == "reject":
        r = actions.do_reject(user, r, payload.reason or payload.note)
    elif a == "follow_up":
        officer = None
        if payload.officer_id:
            from sejuk.accounts.access import visible_officers

            officer = visible_officers(user).filter(pk=payload.officer_id).first()
            if officer is None:
                raise actions.ReportError({"officer_id": "unknown officer"})
        r = actions.do_follow_up(user, r, officer, payload.note)
    elif a == "on_scene":
        r = actions.do_on_scene(user, r, payload.note)
    elif a == "resolve":
        r = actions.do_resolve(user, r, payload.note)
    elif a == "note":
        actions.do_add_note(user, r, payload.note, public=payload.public)
    elif a == "reroute":
        polsek = (
            PoliceUnit.objects.filter(code=payload.polsek, kind="polsek").first()
            if payload.polsek
            else None
        )
        if payload.polsek and polsek is None:
            raise actions.ReportError({"polsek": "unknown Polsek"})
        r = actions.do_reroute(
            user, r, kelurahan=payload.kelurahan, polsek=polsek, reason=payload.reason
        )
    elif a == "handoff":
        r = actions.do_handoff(user, r, payload.agency or "", payload.agency_detail, payload.note)
    elif a == "agency_accepted":
        r = actions.do_agency_accepted(user, r, payload.note)
    elif a == "merge":
        code = actions.normalise_ticket(payload.into_ticket or "")
        into = visible_reports(user).filter(ticket=code).first() if code else None
        if into is None:
            raise actions.ReportError({"into_ticket": "no such report in your territory"})
        r = actions.do_merge(user, r, into, payload.note)
    elif a == "unmerge":
        r = actions.do_unmerge(user, r, payload.note)
    else:
        raise actions.ReportError({"action": "unknown action"})
    return _out(actions.get_report_for_user(user, r.pk), events=True)

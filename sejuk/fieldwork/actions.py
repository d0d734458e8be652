"""Writes for field work: the offline sync of activities, photos, complaints,
titik rawan. Views and the API validate input shape, then call these."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sejuk.accounts.access import visible_officers
from sejuk.accounts.models import User
from sejuk.analytics.geo import haversine_m
from sejuk.fieldwork.access import (
    can_reassign,
    can_write_fieldwork,
    may_write_in,
    visible_activities,
    visible_contacts,
)
from sejuk.fieldwork.models import (
    CHECKIN_FLAG_METRES,
    TOPIC_KEYS,
    Activity,
    ActivityKind,
    ActivityPhoto,
    ActivityRevision,
    ComplaintEvent,
    ComplaintStatus,
    Contact,
    FieldComplaint,
    SyncConflict,
    TitikRawan,
    Visit,
)
from sejuk.lib.times import as_utc
from sejuk.territory.locate import kelurahan_index
from sejuk.territory.models import Level, Officer, Wilayah

DEFAULT_COMPLAINT_DAYS = 7


class FieldworkError(Exception):
    """Invalid input: ``errors`` maps a field to its message (answered as 422)."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


class NotInScope(Exception):
    """The record or area is outside the caller's territory (answered as 404)."""


class NotAllowed(Exception):
    """The caller's role may not do this (answered as 403)."""


# --- points ------------------------------------------------------------------


def check_point_in_kelurahan(kode: str, lat: float, lon: float) -> str | None:
    """An error message if the point lies in another kelurahan, else None."""
    has_boundary = Wilayah.objects.filter(kode=kode, geometry__isnull=False).exists()
    if not has_boundary:
        return None
    found = kelurahan_index().locate(lat, lon)
    if found == kode:
        return None
    if found is None:
        return f"the point ({lat:.5f}, {lon:.5f}) is outside the boundary of {kode}"
    other = Wilayah.objects.filter(kode=found).values_list("nama", flat=True).first()
    return f"the point ({lat:.5f}, {lon:.5f}) lies in {other} ({found}), not in {kode}"


# --- activity sync -------------------------------------------------------------

SCALARS = (
    "kind",
    "started_at",
    "ended_at",
    "kelurahan",
    "location_text",
    "people_met",
    "people_count",
    "topics_other",
    "appeals",
    "notes",
    "follow_up_needed",
)
SETS = ("topics", "officer_ids", "contact_ids")


@dataclass
class SyncResult:
    status: str
    activity: Activity
    conflicts: list[dict] = field(default_factory=list)
    visits: list[dict] = field(default_factory=list)

    @property
    def created(self) -> bool:
        return self.status == "created"


def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat() if value else None


def snapshot(activity: Activity) -> dict[str, Any]:
    """The mergeable fields of an activity as plain JSON values."""
    return {
        "kind": activity.kind,
        "started_at": _iso(activity.started_at),
        "ended_at": _iso(activity.ended_at),
        "kelurahan": activity.kelurahan_id,
        "location_text": activity.location_text,
        "people_met": activity.people_met,
        "people_count": activity.people_count,
        "topics_other": activity.topics_other,
        "appeals": activity.appeals,
        "notes": activity.notes,
        "follow_up_needed": activity.follow_up_needed,
        "topics": sorted(activity.topics),
        "officer_ids": sorted(activity.officers.values_list("pk", flat=True)),
        "contact_ids": sorted(activity.contacts.values_list("pk", flat=True)),
    }


def _utc(value: dt.datetime | None, field: str, errors: dict[str, str]) -> dt.datetime | None:
    """``as_utc(value)``, or an error on ``field`` for a time whose UTC form
    leaves the calendar (e.g. 0001-01-01T00:00+14:00)."""
    try:
        return as_utc(value)
    except OverflowError:
        errors[field] = "is out of range"
        return None


def _normalise(user: User, p: dict) -> dict[str, Any]:
    """Validate a sync payload (already typed by the API schema) into snapshot form."""
    errors: dict[str, str] = {}
    if p.get("kind") not in ActivityKind.values:
        errors["kind"] = f"must be one of {', '.join(ActivityKind.values)}"
    started = _utc(p.get("started_at"), "started_at", errors)
    ended = _utc(p.get("ended_at"), "ended_at", errors)
    _utc(p.get("client_edited_at"), "client_edited_at", errors)
    if started is None:
        errors.setdefault("started_at", "required")
    elif started > timezone.now() + dt.timedelta(hours=1):
        errors["started_at"] = _("is in the future")
    if started and ended and ended < started:
        errors["ended_at"] = _("is before started_at")
    kode = p.get("kelurahan") or ""
    kel = Wilayah.objects.light().filter(kode=kode).first()
    if kel is None or kel.level != Level.KELURAHAN:
        errors["kelurahan"] = f"{kode!r} is not a kelurahan code"
    topics = sorted(set(p.get("topics") or []))
    unknown = [t for t in topics if t not in TOPIC_KEYS]
    if unknown:
        errors["topics"] = f"unknown topics {unknown}; use {sorted(TOPIC_KEYS)} or topics_other"
    count = p.get("people_count")
    if count is not None and not 0 <= count <= 100_000:
        errors["people_count"] = "must be between 0 and 100000"
    for name, limit in (("location_text", 200), ("topics_other", 300)):
        if len(p.get(name) or "") > limit:
            errors[name] = f"longer than {limit} characters"
    for name in ("people_met", "appeals", "notes"):
        if len(p.get(name) or "") > 20_000:
            errors[name] = "longer than 20000 characters"
    if errors:
        raise FieldworkError(errors)
    if not may_write_in(user, kode):
        raise NotInScope(kode)

    officer_ids = sorted(set(p.get("officer_ids") or []))
    if not officer_ids and user.officer_id is not None:
        officer_ids = [user.officer_id]
    elif not officer_ids:
        # Staff logging on behalf of the field: default to the kelurahan's officers.
        officer_ids = sorted(
            visible_officers(user)
            .filter(kelurahan__kode=kode, active=True)
            .values_list("pk", flat=True)
        )
        if not officer_ids:
            raise FieldworkError(
                {"officer_ids": f"no officer is assigned to {kode}; name the officers"}
            )
    visible = set(visible_officers(user).filter(pk__in=officer_ids).values_list("pk", flat=True))
    if missing := [o for o in officer_ids if o not in visible]:
        raise FieldworkError({"officer_ids": f"unknown officers {missing}"})
    contact_ids = sorted(set(p.get("contact_ids") or []))
    found = set(
        visible_contacts(user)
        .filter(pk__in=contact_ids, kelurahan_id=kode)
        .values_list("pk", flat=True)
    )
    if missing := [c for c in contact_ids if c not in found]:
        raise FieldworkError({"contact_ids": f"unknown contacts in {kode}: {missing}"})
    return {
        "kind": p["kind"],
        "started_at": _iso(started),
        "ended_at": _iso(ended),
        "kelurahan": kode,
        "location_text": (p.get("location_text") or "").strip(),
        "people_met": (p.get("people_met") or "").strip(),
        "people_count": count,
        "topics_other": (p.get("topics_other") or "").strip(),
        "appeals": (p.get("appeals") or "").strip(),
        "notes": (p.get("notes") or "").strip(),
        "follow_up_needed": bool(p.get("follow_up_needed")),
        "topics": topics,
        "officer_ids": officer_ids,
        "contact_ids": contact_ids,
    }


def _validate_children(kode: str, visits: list[dict], complaints: list[dict]) -> None:
    errors: dict[str, str] = {}
    titik_ids = [v["titik_id"] for v in visits]
    known = set(
        TitikRawan.objects.filter(pk__in=titik_ids, kelurahan_id=kode).values_list("pk", flat=True)
    )
    for i, v in enumerate(visits):
        if v["titik_id"] not in known:
            errors[f"visits[{i}].titik_id"] = f"no titik rawan {v['titik_id']} in {kode}"
        if (v.get("lat") is None) != (v.get("lon") is None):
            errors[f"visits[{i}]"] = _("give both lat and lon, or neither")
        _utc(v.get("checkin_at"), f"visits[{i}].checkin_at", errors)
    if len(set(titik_ids)) != len(titik_ids):
        errors["visits"] = _("a titik rawan is listed twice")
    for i, c in enumerate(complaints):
        if not (c.get("summary") or "").strip():
            errors[f"complaints[{i}].summary"] = "required"
    if errors:
        raise FieldworkError(errors)


def _apply(activity: Activity, data: dict[str, Any]) -> None:
    activity.kind = data["kind"]
    activity.started_at = dt.datetime.fromisoformat(data["started_at"])
    activity.ended_at = dt.datetime.fromisoformat(data["ended_at"]) if data["ended_at"] else None
    activity.kelurahan_id = data["kelurahan"]
    for name in (
        "location_text",
        "people_met",
        "people_count",
        "topics_other",
        "appeals",
        "notes",
        "follow_up_needed",
    ):
        setattr(activity, name, data[name])
    activity.topics = data["topics"]


def _merge(base: dict, server: dict, device: dict, device_newer: bool) -> tuple[dict, list[dict]]:
    merged = dict(server)
    conflicts: list[dict] = []
    for name in SCALARS:
        dev, srv, old = device[name], server[name], base.get(name)
        if dev in (srv, old):
            continue
        if srv == old:
            merged[name] = dev
            continue
        kept, discarded = (dev, srv) if device_newer else (srv, dev)
        merged[name] = kept
        conflicts.append({"field": name, "kept": kept, "discarded": discarded})
    for name in SETS:
        merged[name] = sorted(set(server[name]) | set(device[name]))
    return merged, conflicts


def _save_children(
    activity: Activity, user: User, visits: list[dict], complaints: list[dict]
) -> tuple[bool, list[dict]]:
    changed = False
    have = {v.titik_id: v for v in activity.visits.select_related("titik")}
    titik = {t.pk: t for t in TitikRawan.objects.filter(pk__in=[v["titik_id"] for v in visits])}
    for v in visits:
        if v["titik_id"] in have:
            continue
        t = titik[v["titik_id"]]
        distance = None
        if v.get("lat") is not None:
            distance = round(float(haversine_m(v["lat"], v["lon"], t.lat, t.lon)), 1)
        have[t.pk] = Visit.objects.create(
            activity=activity,
            titik=t,
            checkin_at=as_utc(v.get("checkin_at")) or activity.started_at,
            checkin_lat=v.get("lat"),
            checkin_lon=v.get("lon"),
            accuracy_m=v.get("accuracy_m"),
            distance_m=distance,
            flagged=distance is not None and distance > CHECKIN_FLAG_METRES,
        )
        changed = True
    owner = activity.officers.order_by("pk").first()
    existing = set(
        FieldComplaint.objects.filter(
            client_uuid__in=[c["client_uuid"] for c in complaints]
        ).values_list("client_uuid", flat=True)
    )
    for c in complaints:
        if c["client_uuid"] in existing:
            continue
        complaint = FieldComplaint.objects.create(
            client_uuid=c["client_uuid"],
            activity=activity,
            kelurahan_id=activity.kelurahan_id,
            summary=c["summary"].strip()[:300],
            details=(c.get("details") or "").strip(),
            raised_by=(c.get("raised_by") or "").strip()[:150],
            owner=owner,
            due_date=c.get("due_date")
            or (
                timezone.localtime(activity.started_at).date()
                + dt.timedelta(days=DEFAULT_COMPLAINT_DAYS)
            ),
        )
        ComplaintEvent.objects.create(
            complaint=complaint, actor=user, to_status=ComplaintStatus.OPEN, note=""
        )
        changed = True
    visit_out = [
        {"titik_id": v.titik_id, "distance_m": v.distance_m, "flagged": v.flagged}
        for v in sorted(have.values(), key=lambda v: v.titik_id)
    ]
    return changed, visit_out


def _write(activity: Activity, data: dict, user: User, edited_at: dt.datetime | None) -> None:
    _apply(activity, data)
    activity.client_edited_at = edited_at
    try:
        # client_uuid uniqueness is left to the database constraint: under
        # concurrency a SELECT-based check can see the other request's commit
        # and fail with a ValidationError instead of the IntegrityError that
        # the caller turns into "duplicate".
        activity.full_clean(
            exclude=["created_by", "officers", "contacts", "client_uuid"], validate_unique=False
        )
    except ValidationError as exc:
        raise FieldworkError({k: " ".join(v) for k, v in exc.message_dict.items()}) from None
    activity.save()
    activity.officers.set(data["officer_ids"])
    activity.contacts.set(data["contact_ids"])
    ActivityRevision.objects.create(
        activity=activity, version=activity.version, data=data, client_edited_at=edited_at, by=user
    )


def do_sync_activity(user: User, payload: dict) -> SyncResult:
    """Create or update an activity from a device, idempotently (docs/fieldwork.md)."""
    if not can_write_fieldwork(user):
        raise NotAllowed("your role does not log field work")
    key = payload["client_uuid"]
    device = _normalise(user, payload)
    visits = list(payload.get("visits") or [])
    complaints = list(payload.get("complaints") or [])
    _validate_children(device["kelurahan"], visits, complaints)
    edited_at = as_utc(payload.get("client_edited_at")) or timezone.now()

    with transaction.atomic():
        activity = Activity.objects.select_for_update().filter(client_uuid=key).first()
        if activity is None:
            try:
                with transaction.atomic():
                    activity = Activity(client_uuid=key, created_by=user, version=1)
                    _write(activity, device, user, edited_at)
            except IntegrityError:
                # Another request created this UUID between our read and insert.
                activity = Activity.objects.select_for_update().get(client_uuid=key)
            else:
                _changed, visit_out = _save_children(activity, user, visits, complaints)
                return SyncResult("created", activity, visits=visit_out)

        if not visible_activities(user).filter(pk=activity.pk).exists():
            raise NotInScope(key)
        server = snapshot(activity)
        version_before = activity.version
        base_version = payload.get("base_version") or 1
        if base_version > activity.version:
            raise FieldworkError(
                {"base_version": f"the server has version {activity.version} only"}
            )

        conflicts: list[dict] = []
        if device == server:
            merged = server
        elif base_version == activity.version:
            merged = device
        else:
            base = (
                ActivityRevision.objects.filter(activity=activity, version=base_version)
                .values_list("data", flat=True)
                .first()
            ) or {}
            server_edited = activity.client_edited_at or activity.updated_at
            merged, conflicts = _merge(base, server, device, device_newer=edited_at > server_edited)
        if (
            merged != server
            and merged["kelurahan"] != server["kelurahan"]
            and not may_write_in(user, merged["kelurahan"])
        ):
            raise NotInScope(merged["kelurahan"])
        fields_changed = merged != server
        if fields_changed:
            activity.version += 1
            _write(activity, merged, user, max(edited_at, activity.client_edited_at or edited_at))
            for c in conflicts:
                row = SyncConflict.objects.create(
                    activity=activity,
                    field=c["field"],
                    kept_value=c["kept"],
                    discarded_value=c["discarded"],
                    discarded_by=None if c["kept"] == device.get(c["field"]) else user,
                )
                c["id"] = row.pk
        children_changed, visit_out = _save_children(activity, user, visits, complaints)
        if not fields_changed and not children_changed:
            return SyncResult("duplicate", activity, visits=visit_out)
        status = "merged" if base_version < version_before else "updated"
        return SyncResult(status, activity, conflicts=conflicts, visits=visit_out)


def do_add_photo(
    user: User, activity_uuid: uuid.UUID, photo_uuid: uuid.UUID, data: bytes, caption: str = ""
) -> tuple[ActivityPhoto, bool]:
    """Attach a photo, idempotently by ``photo_uuid``. Returns (photo, created)."""
    if not can_write_fieldwork(user):
        raise NotAllowed("your role does not log field work")
    activity = visible_activities(user).filter(client_uuid=activity_uuid).first()
    if activity is None:
        raise NotInScope(str(activity_uuid))
    existing = ActivityPhoto.objects.filter(client_uuid=photo_uuid).first()
    if existing is not None:
        if existing.activity_id != activity.pk:
            raise FieldworkError({"photo_uuid": _("already used for another activity")})
        return existing, False
    from sejuk.lib.images import ImageRejected, sanitize_image

    try:
        clean = sanitize_image(data)
    except ImageRejected as exc:
        raise FieldworkError({"photo": str(exc)}) from None
    try:
        with transaction.atomic():
            photo = ActivityPhoto(
                activity=activity,
                client_uuid=photo_uuid,
                caption=caption[:200],
                sha256=clean.sha256,
            )
            photo.image.save(f"{photo_uuid}.jpg", ContentFile(clean.data), save=False)
            photo.width, photo.height = clean.width, clean.height
            photo.save()
    except IntegrityError:
        # The same photo arrived twice at once; the other request stored it.
        existing = ActivityPhoto.objects.filter(client_uuid=photo_uuid).first()
        if existing is None:
            raise
        return existing, False
    return photo, True


# --- complaints --------------------------------------------------------------


def _may_handle(user: User, complaint: FieldComplaint) -> None:
    if not can_write_fieldwork(user):
        raise NotAllowed("your role does not handle field complaints")
    if not may_write_in(user, complaint.kelurahan_id):
        raise NotInScope(complaint.kelurahan_id)


def do_transition_complaint(
    user: User,
    complaint: FieldComplaint,
    to_status: str,
    *,
    note: str = "",
    handed_to: str = "",
    resolution: str = "",
) -> FieldComplaint:
    _may_handle(user, complaint)
    if to_status not in ComplaintStatus.values:
        raise FieldworkError({"status": f"must be one of {', '.join(ComplaintStatus.values)}"})
    if to_status == ComplaintStatus.HANDED_OVER and not handed_to.strip():
        raise FieldworkError({"handed_to": _("name the agency it is handed to")})
    if to_status == ComplaintStatus.RESOLVED and not (resolution.strip() or note.strip()):
        raise FieldworkError({"resolution": _("say how it was resolved")})
    with transaction.atomic():
        # Check the transition on the locked row: two people acting at once
        # must not both pass a check made on stale copies.
        locked = FieldComplaint.objects.select_for_update().get(pk=complaint.pk)
        if not locked.can_move_to(to_status):
            raise FieldworkError({"status": f"cannot go from {locked.status} to {to_status}"})
        before = locked.status
        locked.status = to_status
        if to_status == ComplaintStatus.HANDED_OVER:
            locked.handed_to = handed_to.strip()[:150]
        if to_status == ComplaintStatus.RESOLVED:
            locked.resolution = (resolution or note).strip()
        locked.save()
        ComplaintEvent.objects.create(
            complaint=locked, actor=user, from_status=before, to_status=to_status, note=note.strip()
        )
    return locked


def do_reassign_complaint(
    user: User, complaint: FieldComplaint, owner: Officer, due_date: dt.date | None, note: str = ""
) -> FieldComplaint:
    """Give a complaint another owner or due date (Kapolsek and Polsek staff)."""
    _may_handle(user, complaint)
    if not can_reassign(user, complaint):
        raise NotAllowed("only the Kapolsek and Polsek staff reassign complaints")
    if not visible_officers(user).filter(pk=owner.pk).exists():
        raise FieldworkError({"owner": "unknown officer"})
    with transaction.atomic():
        locked = FieldComplaint.objects.select_for_update().get(pk=complaint.pk)
        changes = []
        if locked.owner_id != owner.pk:
            changes.append(f"owner: {locked.owner} → {owner}")
            locked.owner = owner
        if due_date and due_date != locked.due_date:
            changes.append(f"due: {locked.due_date} → {due_date}")
            locked.due_date = due_date
        if changes:
            locked.save()
            ComplaintEvent.objects.create(
                complaint=locked,
                actor=user,
                from_status=locked.status,
                to_status=locked.status,
                note="; ".join(changes) + (f" — {note.strip()}" if note.strip() else ""),
            )
    return locked


# --- contacts and conflicts ------------------------------------------------------


def do_save_contact(user: User, contact: Contact) -> Contact:
    """Create or update a contact inside the user's territory (pages and API)."""
    if not can_write_fieldwork(user):
        raise NotAllowed("your role does not edit contacts")
    if contact.pk is not None:
        stored = (
            Contact.objects.filter(pk=contact.pk).values_list("kelurahan_id", flat=True).first()
        )
        if stored is None or not may_write_in(user, stored):
            raise NotInScope(str(contact.pk))
    if not may_write_in(user, contact.kelurahan_id or ""):
        raise NotInScope(contact.kelurahan_id or "")
    try:
        contact.full_clean(exclude=["created_by"])
    except ValidationError as exc:
        raise FieldworkError({k: " ".join(v) for k, v in exc.message_dict.items()}) from None
    if contact.pk is None:
        contact.created_by = user
    contact.save()
    return contact


def do_ack_conflict(user: User, conflict: SyncConflict) -> SyncConflict:
    """Mark a sync conflict as seen; only those who log field work there may."""
    if not may_write_in(user, conflict.activity.kelurahan_id):
        raise NotAllowed("only those who log field work here acknowledge conflicts")
    if not conflict.acknowledged:
        conflict.acknowledged = True
        conflict.save(update_fields=["acknowledged"])
    return conflict


# --- titik rawan -------------------------------------------------------------


def do_save_titik(user: User, titik: TitikRawan) -> TitikRawan:
    """Create or update a titik rawan after checking scope, fields and location."""
    if not can_write_fieldwork(user):
        raise NotAllowed("your role does not edit the titik rawan registry")
    if not may_write_in(user, titik.kelurahan_id or ""):
        raise NotInScope(titik.kelurahan_id or "")
    try:
        titik.full_clean(exclude=["created_by"])
    except ValidationError as exc:
        raise FieldworkError({k: " ".join(v) for k, v in exc.message_dict.items()}) from None
    if error := check_point_in_kelurahan(titik.kelurahan_id, titik.lat, titik.lon):
        raise FieldworkError({"location": error})
    if titik.pk is None:
        titik.created_by = user
    titik.save()
    return titik

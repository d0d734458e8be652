"""Writes for citizen reports: intake, routing, triage, duplicates, workflow,
re-routing, hand-off, closing, rating and reopening. Views, the API and the
webhooks validate input shape and call these."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import secrets
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, models, transaction
from django.db.models import Case, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from sejuk.accounts import audit
from sejuk.accounts.models import Role, User
from sejuk.analytics.geo import haversine_m
from sejuk.lib import crypto
from sejuk.reports import routing
from sejuk.reports.access import can_handle, visible_reports
from sejuk.reports.models import (
    OPEN_STATUSES,
    Agency,
    Category,
    Channel,
    EventKind,
    Notification,
    Report,
    ReportEvent,
    ReportPhoto,
    SlaPolicy,
    Status,
    Urgency,
)
from sejuk.reports.triage import triage
from sejuk.territory.models import Level, Officer, PoliceUnit, Wilayah

# Easy to read over the phone: no 0/O, 1/I/L, 2/Z, 5/S, 8/B, 6/G.
TICKET_ALPHABET = "ACDEFHJKMNPQRTUVWXY3479"
TICKET_LENGTH = 8  # 23**8 ≈ 7.8e10 codes; lookups are rate-limited


class ReportError(Exception):
    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


class NotInScope(Exception):
    pass


class NotAllowed(Exception):
    pass


def new_ticket() -> str:
    raw = "".join(secrets.choice(TICKET_ALPHABET) for _ in range(TICKET_LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


def normalise_ticket(text: str) -> str | None:
    """'acdf hj3k', 'ACDF-HJ3K', 'acdfhj3k' -> 'ACDF-HJ3K'; None if not a ticket."""
    chars = [c for c in (text or "").upper() if c.isalnum()]
    if len(chars) != TICKET_LENGTH or any(c not in TICKET_ALPHABET for c in chars):
        return None
    raw = "".join(chars)
    return f"{raw[:4]}-{raw[4:]}"


DEFAULT_SLA = {
    Urgency.URGENT: {"ack_minutes": 15, "scene_minutes": 60, "escalate_again_minutes": 15},
    Urgency.NORMAL: {"ack_minutes": 240, "scene_minutes": None, "escalate_again_minutes": 120},
}


def sla_for(urgency: str) -> dict:
    """The SLA of an urgency (admin-editable; cached per process for a minute)."""

    def load() -> dict:
        rows = SlaPolicy.objects.values(
            "urgency", "ack_minutes", "scene_minutes", "escalate_again_minutes"
        )
        return {r.pop("urgency"): r for r in rows}

    policies = routing._cached("sla", load)
    return policies.get(urgency) or DEFAULT_SLA[Urgency(urgency)]


@dataclass
class ReportInput:
    category: str
    description: str
    channel: str = Channel.WEB
    lat: float | None = None
    lon: float | None = None
    address_text: str = ""
    anonymous: bool = False
    reporter_name: str = ""
    reporter_contact: str = ""
    photos: list[bytes] = field(default_factory=list)
    client_key: str | None = None
    kelurahan: str | None = None  # an operator may pick it directly
    received_at: dt.datetime | None = None


def _validate(data: ReportInput) -> None:
    errors = {}
    data.client_key = (data.client_key or "").strip() or None
    for name in ("description", "address_text", "reporter_name", "reporter_contact"):
        if "\x00" in (getattr(data, name) or ""):
            errors[name] = "contains a NUL character"
    if data.category not in Category.values:
        errors["category"] = f"must be one of {', '.join(Category.values)}"
    if data.channel not in Channel.values:
        errors["channel"] = "unknown channel"
    text = (data.description or "").strip()
    if len(text) < 10:
        errors["description"] = _("describe what happened in at least 10 characters")
    elif len(text) > 5000:
        errors["description"] = "at most 5000 characters"
    if (data.lat is None) != (data.lon is None):
        errors["location"] = _("give both lat and lon, or neither")
    elif data.lat is not None and not (-90 <= data.lat <= 90 and -180 <= data.lon <= 180):
        errors["location"] = "lat must be in [-90, 90] and lon in [-180, 180]"
    if len(data.address_text or "") > 300:
        errors["address_text"] = "at most 300 characters"
    if (
        (
            not data.anonymous
            and data.reporter_contact
            and len(crypto.normalise_phone(data.reporter_contact)) < 8
        )
        and "@" not in data.reporter_contact
        and not data.reporter_contact.startswith("telegram:")
    ):
        errors["reporter_contact"] = _("a phone number like 0812 3456 7890, or an e-mail address")
    if len(data.reporter_name or "") > 150:
        errors["reporter_name"] = "at most 150 characters"
    if len(data.photos) > 5:
        errors["photos"] = "at most 5 photos"
    if (
        data.kelurahan
        and not Wilayah.objects.filter(kode=data.kelurahan, level=Level.KELURAHAN).exists()
    ):
        errors["kelurahan"] = f"{data.kelurahan!r} is not a kelurahan code"
    if errors:
        raise ReportError(errors)


def reporter_hash(contact: str) -> str:
    if not contact:
        return ""
    value = contact.strip().lower() if "@" in contact else crypto.normalise_phone(contact)
    return crypto.blind_index(value, "reporter")


def _event(report: Report, kind: str, actor: User | None = None, *, note: str = "", public: bool = False,
           from_status: str = "", to_status: str = "", data: dict | None = None, label: str = "") -> ReportEvent:  # fmt: skip
    return ReportEvent.objects.create(
        report=report,
        kind=kind,
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_label=label
        or (actor.display_name() if actor is not None and actor.is_authenticated else ""),
        note=note,
        public=public,
        from_status=from_status,
        to_status=to_status,
        data=data or {},
    )


class _DuplicateIndex:
    """Open, unmerged cases grouped by (category, kelurahan), to merge new
    reports into: the same topic, place and time window.

    Built with one query for a whole batch of new reports (see
    ``process_intake``); reports that stay primary join it, so a later report
    of the same batch can merge into an earlier one."""

    def __init__(self, batch: list[Report]):
        self.window = dt.timedelta(minutes=settings.SEJUK_DUPLICATE_WINDOW_MINUTES)
        self.radius = settings.SEJUK_DUPLICATE_RADIUS_M
        self.groups: dict[tuple[str, str | None], list[tuple]] = {}
        if not self.window or not batch:
            return
        kels = {r.kelurahan_id for r in batch if r.kelurahan_id}
        where = Q(kelurahan_id__in=kels) if kels else Q(pk__in=[])
        if any(r.kelurahan_id is None and r.lat is not None for r in batch):
            where |= Q(kelurahan__isnull=True, lat__isnull=False)
        rows = (
            Report.objects.filter(
                where,
                category__in={r.category for r in batch},
                status__in=OPEN_STATUSES,
                merged_into__isnull=True,
                intake_pending=False,
                received_at__gte=min(r.received_at for r in batch) - self.window,
                received_at__lte=max(r.received_at for r in batch) + self.window,
            )
            .order_by("received_at", "pk")
            .values_list("pk", "ticket", "category", "kelurahan_id", "lat", "lon", "received_at")
        )
        for row in rows:
            self.groups.setdefault((row[2], row[3]), []).append(row)

    def find(self, report: Report) -> tuple[int, str] | None:
        """(pk, ticket) of the earliest matching case, or None."""
        if not self.window or (report.kelurahan_id is None and report.lat is None):
            return None
        for pk, ticket, _cat, kel, lat, lon, received in self.groups.get(
            (report.category, report.kelurahan_id), ()
        ):
            if abs(received - report.received_at) > self.window or pk == report.pk:
                continue
            if report.lat is not None and lat is not None:
                if haversine_m(report.lat, report.lon, lat, lon) <= self.radius:
                    return pk, ticket
            elif report.kelurahan_id and kel == report.kelurahan_id:
                return pk, ticket
        return None

    def add(self, report: Report) -> None:
        row = (report.pk, report.ticket, report.category, report.kelurahan_id,
               report.lat, report.lon, report.received_at)  # fmt: skip
        self.groups.setdefault((report.category, report.kelurahan_id), []).append(row)


def _notify(user: User, report: Report | None, kind: str, text: str, key: str) -> bool:
    """In-app notification, at most once per key (restart-safe)."""
    try:
        with transaction.atomic():
            Notification.objects.create(
                user=user, report=report, kind=kind, text=text, dedupe_key=key[:120]
            )
    except IntegrityError:
        return False
    return True


def _users_of(unit_ids: list[int], roles: tuple[str, ...]) -> list[User]:
    return list(User.objects.filter(unit_id__in=unit_ids, role__in=roles, is_active=True))


def _recipients(unit_id: int, roles: tuple[str, ...]) -> list[int]:
    key = f"recipients:{unit_id}:{','.join(roles)}"
    return routing._cached(
        key,
        lambda: list(
            User.objects.filter(unit_id=unit_id, role__in=roles, is_active=True).values_list(
                "pk", flat=True
            )
        ),
    )


def _notify_new(report: Report) -> None:
    """Tell the assigned officer and the unit; one INSERT, duplicates ignored."""
    _notify_new_many([report])


def _notify_new_many(reports: list[Report]) -> None:
    """New-report notifications for many reports in one INSERT (duplicates ignored)."""
    rows = []
    for report in reports:
        text = f"Laporan baru {report.ticket}: {report.get_category_display()} ({report.get_urgency_display()})"
        user_ids: list[int] = []
        if report.assigned_officer_id:
            officer_id = report.assigned_officer_id
            user_ids += routing._cached(
                f"officer-users:{officer_id}",
                lambda officer_id=officer_id: list(
                    User.objects.filter(officer_id=officer_id, is_active=True).values_list(
                        "pk", flat=True
                    )
                ),
            )
        if report.polsek_id:
            user_ids += _recipients(report.polsek_id, (Role.KAPOLSEK, Role.POLSEK_STAFF))
        elif report.polres_id:
            user_ids += _recipients(
                report.polres_id, (Role.KAPOLRES, Role.POLRES_STAFF, Role.OPERATOR_110)
            )
        rows += [
            Notification(user_id=uid, report=report, kind="new_report", text=text,
                         dedupe_key=f"new:{report.pk}:{uid}")
            for uid in dict.fromkeys(user_ids)
        ]  # fmt: skip
    Notification.objects.bulk_create(rows, ignore_conflicts=True)


def create_report(data: ReportInput, *, actor: User | None = None) -> Report:
    """Intake from any channel: validate, route, triage, store.

    The request does only what the reporter's answer depends on (the ticket,
    the route, the SLA clock) and stores the report in one INSERT, marked
    ``intake_pending`` with what the rest needs in ``intake_meta``. Writing
    the "created" event and the audit entry, merging duplicates and notifying
    the unit happen in ``process_intake``, in batches, in the worker a few
    seconds later: that cuts the work per report by more than half during a
    surge, nothing can be lost (the pending row is the promise), and a batch
    sees reports that concurrent requests committed at the same moment (a
    per-request search could not). Until then ``Report.timeline`` shows the
    owed "created" event."""
    _validate(data)
    # A repeated client_key is caught by the unique constraint on insert (the
    # common case, a new key, then costs no lookup).
    now = data.received_at or timezone.now()
    text = " ".join(p for p in (data.address_text, data.description) if p)
    if data.kelurahan:
        from sejuk.reports.routing import Route, units_for_kelurahan

        polsek, polres, officer = units_for_kelurahan(data.kelurahan)
        r = Route(
            data.kelurahan, polsek, polres, officer, "operator", 1.0, "picked by the operator"
        )
    else:
        r = routing.route(data.lat, data.lon, text)
    t = triage(data.description, data.category)
    sla = sla_for(t.urgency)
    contact = "" if data.anonymous else (data.reporter_contact or "").strip()
    name = "" if data.anonymous else (data.reporter_name or "").strip()
    scope_kode = r.kelurahan_id or ""
    if not scope_kode:
        # Not located: visible to the unit it was routed to (see access.visible_reports).
        unit_id = r.polsek_id or r.polres_id
        scope_kode = ""
        if unit_id:
            codes = PoliceUnit.wilayah.through.objects.filter(policeunit_id=unit_id).values_list(
                "wilayah_id", flat=True
            )
            scope_kode = min(codes, default="", key=len)
    photos = []
    if data.photos:
        from sejuk.lib.images import ImageRejected, sanitize_image

        for i, raw in enumerate(data.photos):
            try:
                photos.append(sanitize_image(raw))
            except ImageRejected as exc:
                raise ReportError({f"photos[{i}]": str(exc)}) from None
    who = actor if actor is not None and actor.is_authenticated else None
    # What process_intake needs to write the "created" event and the audit
    # entry (in its batch, seconds later): the request then costs one INSERT.
    meta = {
        "at": timezone.now().isoformat(),
        "actor": dataclasses.asdict(audit.current_actor()),
        "label": who.display_name() if who else str(Channel(data.channel).label),
        "note": r.reason,
        "data": {"routing": r.located_by, "confidence": r.confidence, "urgency": t.reason},
    }
    for _attempt in range(5):
        # A single INSERT needs no transaction of its own (autocommit is
        # atomic); photos, or a caller's transaction, need one (a savepoint
        # keeps the caller's transaction usable after a key collision).
        needs_tx = bool(photos) or transaction.get_connection().in_atomic_block
        try:
            with transaction.atomic() if needs_tx else contextlib.nullcontext():
                report = Report(
                    ticket=new_ticket(),
                    channel=data.channel,
                    category=data.category,
                    description=data.description.strip(),
                    urgency=t.urgency,
                    urgency_reason=t.reason[:200],
                    lat=data.lat,
                    lon=data.lon,
                    address_text=(data.address_text or "").strip(),
                    kelurahan_id=r.kelurahan_id,
                    located_by=r.located_by,
                    polsek_id=r.polsek_id,
                    polres_id=r.polres_id,
                    scope_kode=scope_kode,
                    assigned_officer_id=r.officer_id,
                    anonymous=data.anonymous,
                    reporter_name_enc=crypto.encrypt(name),
                    reporter_contact_enc=crypto.encrypt(contact),
                    reporter_hash=reporter_hash(contact),
                    received_at=now,
                    ack_due_at=now + dt.timedelta(minutes=sla["ack_minutes"]),
                    scene_due_at=now + dt.timedelta(minutes=sla["scene_minutes"])
                    if sla["scene_minutes"]
                    else None,
                    client_key=data.client_key,
                    created_by=who,
                    intake_pending=True,
                    intake_meta=meta,
                )
                audit.defer_create(report)
                report.save(force_insert=True)
                for clean in photos:
                    p = ReportPhoto(
                        report=report, sha256=clean.sha256, width=clean.width, height=clean.height
                    )
                    p.image.save(
                        f"{report.ticket}-{clean.sha256[:12]}.jpg",
                        ContentFile(clean.data),
                        save=False,
                    )
                    p.save()
            return report
        except IntegrityError:
            existing = (
                Report.objects.filter(client_key=data.client_key).first()
                if data.client_key
                else None
            )
            if existing is not None:
                existing.already_existed = True
                return existing
            if _attempt == 4:
                raise
            continue  # a ticket collision: draw again
    raise RuntimeError("could not allocate a ticket")


def process_intake(limit: int = 500) -> int:
    """Finish intake of new reports: write their "created" events and audit
    entries, merge duplicates, notify the unit.

    Runs in the worker (``tasks.intake_tick``), oldest first, ``limit`` reports
    per transaction. Restart-safe: a report leaves the pending set in the same
    transaction as its events, audit entries, merge and notifications (which
    are de-duplicated by key), and on PostgreSQL concurrent workers skip each
    other's rows."""
    from django.db import connection

    actor = audit.current_actor()
    if not (actor.source or actor.user_id):
        actor = audit.SYSTEM
    done = 0
    while True:
        with transaction.atomic():
            qs = Report.objects.filter(intake_pending=True).order_by("received_at", "pk")
            if connection.features.has_select_for_update_skip_locked:
                qs = qs.select_for_update(skip_locked=True)
            batch = list(qs[:limit])
            if not batch:
                return done
            index = _DuplicateIndex(batch)
            merges: dict[int, list[Report]] = {}
            tickets: dict[int, str] = {}
            fresh: list[Report] = []
            for report in batch:
                hit = index.find(report)
                if hit is None:
                    index.add(report)
                    fresh.append(report)
                else:
                    merges.setdefault(hit[0], []).append(report)
                    tickets[hit[0]] = hit[1]
            # The "created" event and audit entry each report is owed (see
            # create_report); a report stored without intake_meta has them.
            events = []
            entries = []
            for report in batch:
                owed = report.created_event()
                if owed is not None:
                    events.append(owed)
                    entries.append(
                        audit.created_entry(
                            report,
                            actor=audit.actor_from_dict(report.intake_meta.get("actor")),
                            at=owed.at,
                        )
                    )
            # Two UPDATEs for the whole batch, however many cases it merges.
            Report.objects.filter(pk__in=[r.pk for r in batch]).update(
                intake_pending=False, intake_meta={}
            )
            if merges:
                Report.objects.filter(pk__in=[m.pk for ms in merges.values() for m in ms]).update(
                    merged_into_id=Case(
                        *[When(pk=m.pk, then=Value(p)) for p, ms in merges.items() for m in ms],
                        output_field=models.BigIntegerField(),
                    )
                )
            for primary_pk, merged in merges.items():
                for m in merged:
                    events += [
                        ReportEvent(report_id=primary_pk, kind=EventKind.MERGE, actor_label="sistem",
                                    data={"merged": m.ticket},
                                    note=f"{m.ticket} digabung ke kasus ini (lokasi, waktu dan topik sama)"),
                        ReportEvent(report=m, kind=EventKind.MERGE, actor_label="sistem", public=True,
                                    data={"into": tickets[primary_pk]},
                                    note="Laporan Anda digabung dengan laporan lain tentang kejadian yang sama."),
                    ]  # fmt: skip
                    entries.append(
                        audit.entry(audit.AuditAction.UPDATE, object_type="reports.report",
                                    object_id=m.pk, object_repr=m.ticket,
                                    changes={"merged_into": [None, primary_pk]},
                                    actor=actor)
                    )  # fmt: skip
            ReportEvent.objects.bulk_create(events)
            audit.AuditEntry.objects.bulk_create(entries)
            _notify_new_many(fresh)
            done += len(batch)
        if len(batch) < limit:
            return done


# --- access for workflow -------------------------------------------------------


def get_report_for_user(user: User, pk: int, *, write: bool = False) -> Report:
    report = (
        visible_reports(user)
        .filter(pk=pk)
        .select_related("kelurahan", "polsek", "polres", "assigned_officer")
        .first()
    )
    if report is None:
        raise NotInScope(pk)
    if write and not can_handle(user):
        raise NotAllowed("your role does not handle reports")
    return report


def _lock(report: Report) -> Report:
    return Report.objects.select_for_update().get(pk=report.pk)


def _transition(
    user: User, report: Report, to: str, note: str = "", *, public_note: str = "", **fields
) -> Report:
    with transaction.atomic():
        locked = _lock(report)
        if not locked.can_move_to(to):
            raise ReportError({"status": f"cannot go from {locked.status} to {to}"})
        before = locked.status
        locked.status = to
        for k, v in fields.items():
            setattr(locked, k, v)
        locked.save()
        _event(locked, EventKind.TRANSITION, user, from_status=before, to_status=to, note=note)
        if public_note:
            _event(locked, EventKind.NOTE, user, public=True, note=public_note)
    return locked


def do_verify(user: User, report: Report, note: str = "") -> Report:
    now = timezone.now()
    return _transition(user, report, Status.VERIFIED, note, acknowledged_at=report.acknowledged_at or now,
                       public_note="Laporan Anda sudah diverifikasi petugas.")  # fmt: skip


def do_reject(user: User, report: Report, reason: str) -> Report:
    if not (reason or "").strip():
        raise ReportError({"reason": _("a rejection needs a reason")})
    now = timezone.now()
    return _transition(user, report, Status.REJECTED, reason.strip(), acknowledged_at=report.acknowledged_at or now,
                       rejection_reason=reason.strip(),
                       public_note="Laporan tidak dapat ditindaklanjuti: " + reason.strip())  # fmt: skip


def do_follow_up(
    user: User, report: Report, officer: Officer | None = None, note: str = ""
) -> Report:
    """Assign and start the follow-up (status in_follow_up)."""
    fields = {}
    if officer is not None:
        fields["assigned_officer"] = officer
    return _transition(user, report, Status.IN_FOLLOW_UP, note, **fields,
                       public_note="Petugas sedang menindaklanjuti laporan Anda.")  # fmt: skip


def do_on_scene(user: User, report: Report, note: str = "") -> Report:
    with transaction.atomic():
        locked = _lock(report)
        if locked.on_scene_at is None:
            locked.on_scene_at = timezone.now()
            if locked.acknowledged_at is None:
                locked.acknowledged_at = locked.on_scene_at
            locked.save(update_fields=["on_scene_at", "acknowledged_at", "updated_at"])
            _event(locked, EventKind.NOTE, user, note=note or "Petugas tiba di lokasi", public=True,
                   data={"on_scene": True})  # fmt: skip
    return locked


def do_resolve(user: User, report: Report, note: str, proof: bytes | None = None) -> Report:
    if not (note or "").strip():
        raise ReportError({"resolution_note": _("closing needs a resolution note")})
    clean = None
    if proof:
        from sejuk.lib.images import ImageRejected, sanitize_image

        try:
            clean = sanitize_image(proof)
        except ImageRejected as exc:
            raise ReportError({"proof": str(exc)}) from None
    now = timezone.now()
    with transaction.atomic():
        r = _transition(user, report, Status.RESOLVED, note.strip(), resolution_note=note.strip(), resolved_at=now,
                        acknowledged_at=report.acknowledged_at or now,
                        public_note="Laporan selesai ditindaklanjuti: " + note.strip())  # fmt: skip
        if clean is not None:
            p = ReportPhoto(
                report=r, sha256=clean.sha256, width=clean.width, height=clean.height, is_proof=True
            )
            p.image.save(
                f"{r.ticket}-proof-{clean.sha256[:12]}.jpg", ContentFile(clean.data), save=False
            )
            p.save()
    return r


def do_add_note(user: User, report: Report, note: str, *, public: bool = False) -> ReportEvent:
    if not (note or "").strip():
        raise ReportError({"note": _("empty note")})
    return _event(report, EventKind.NOTE, user, note=note.strip(), public=public)


def do_reroute(user: User, report: Report, *, kelurahan: str | None = None, polsek: PoliceUnit | None = None,
               reason: str = "") -> Report:  # fmt: skip
    """Move a wrongly located report. The SLA clocks keep running from receipt."""
    if not (reason or "").strip():
        raise ReportError({"reason": _("re-routing needs a reason")})
    if not can_handle(user) or user.role in (Role.BHABINKAMTIBMAS,) and not kelurahan:
        raise NotAllowed("your role does not re-route reports")
    with transaction.atomic():
        locked = _lock(report)
        before = {
            "kelurahan": locked.kelurahan_id,
            "polsek": locked.polsek_id,
            "polres": locked.polres_id,
        }
        if kelurahan:
            if not Wilayah.objects.filter(kode=kelurahan, level=Level.KELURAHAN).exists():
                raise ReportError({"kelurahan": f"{kelurahan!r} is not a kelurahan code"})
            polsek_id, polres_id, officer_id = routing.units_for_kelurahan(kelurahan)
            locked.kelurahan_id, locked.scope_kode = kelurahan, kelurahan
            locked.polsek_id, locked.polres_id, locked.assigned_officer_id = (
                polsek_id,
                polres_id or locked.polres_id,
                officer_id,
            )
        elif polsek is not None:
            locked.polsek = polsek
            locked.polres_id = polsek.parent_id
            locked.kelurahan_id, locked.assigned_officer_id = None, None
            codes = list(polsek.wilayah.values_list("kode", flat=True))
            locked.scope_kode = min(codes, default="", key=len)
        else:
            raise ReportError({"kelurahan": _("give the kelurahan or the Polsek")})
        locked.located_by = "reroute"
        # Deliberately untouched: received_at, ack_due_at, scene_due_at, escalation_level.
        locked.save()
        after = {
            "kelurahan": locked.kelurahan_id,
            "polsek": locked.polsek_id,
            "polres": locked.polres_id,
        }
        _event(
            locked, EventKind.REROUTE, user, note=reason.strip(), data={"from": before, "to": after}
        )
        audit.log(audit.AuditAction.UPDATE, object_type="reports.report", object_id=locked.pk,
                  object_repr=locked.ticket, changes={"reroute": [before, after], "reason": reason.strip()})  # fmt: skip
        transaction.on_commit(lambda: _notify_new(locked))
    return locked


def do_handoff(user: User, report: Report, agency: str, detail: str = "", note: str = "") -> Report:
    if agency not in Agency.values:
        raise ReportError({"agency": f"must be one of {', '.join(Agency.values)}"})
    label = Agency(agency).label
    r = _transition(user, report, Status.HANDED_OFF, note, handed_to=agency, handed_to_detail=detail.strip()[:150],
                    acknowledged_at=report.acknowledged_at or timezone.now(),
                    public_note=f"Laporan diteruskan ke {label}. Polisi tetap memantau sampai instansi tersebut menerimanya.")  # fmt: skip
    _event(r, EventKind.HANDOFF, user, note=detail, data={"agency": agency})
    return r


def do_agency_accepted(user: User, report: Report, note: str = "") -> Report:
    with transaction.atomic():
        locked = _lock(report)
        if locked.status != Status.HANDED_OFF:
            raise ReportError({"status": _("the report is not handed off")})
        locked.agency_accepted_at = timezone.now()
        locked.archived = True
        locked.save()
        _event(locked, EventKind.AGENCY_ACCEPTED, user, note=note, public=True)
    return locked


def do_merge(user: User, report: Report, into: Report, note: str = "") -> Report:
    if report.pk == into.pk or into.merged_into_id:
        raise ReportError({"into": "merge into a primary report, not itself"})
    with transaction.atomic():
        locked = _lock(report)
        locked.merged_into = into
        locked.save(update_fields=["merged_into", "updated_at"])
        _event(locked, EventKind.MERGE, user, note=note, data={"into": into.ticket}, public=True)
        _event(into, EventKind.MERGE, user, note=note, data={"merged": locked.ticket})
    return locked


def do_unmerge(user: User, report: Report, note: str = "") -> Report:
    with transaction.atomic():
        locked = _lock(report)
        if locked.merged_into_id is None:
            raise ReportError({"merged_into": "this report is not merged"})
        primary = locked.merged_into
        locked.merged_into = None
        locked.save(update_fields=["merged_into", "updated_at"])
        _event(
            locked, EventKind.UNMERGE, user, note=note, data={"from": primary.ticket}, public=True
        )
        _event(primary, EventKind.UNMERGE, user, note=note, data={"removed": locked.ticket})
    return locked


# --- reporter actions (no account: the ticket is the credential) ---------------


def public_view(report: Report) -> dict:
    """What the reporter may see: never internal notes, never other reporters."""
    case = report.merged_into or report
    events = [
        {"at": e.at.isoformat(), "text": _public_text(e), "kind": e.kind}
        for e in report.timeline(public_only=True)
    ]
    return {
        "ticket": report.ticket,
        "status": case.status,
        "status_label": str(Status(case.status).label),
        "category": str(Category(report.category).label),
        "received_at": report.received_at.isoformat(),
        "kelurahan": report.kelurahan.nama if report.kelurahan_id else None,
        "handed_to": str(Agency(case.handed_to).label) if case.handed_to else None,
        "resolution": case.resolution_note if case.status == Status.RESOLVED else None,
        "can_rate": case.status == Status.RESOLVED and report.rating is None,
        "can_reopen": can_reopen(report),
        "events": events,
    }


def _public_text(e: ReportEvent) -> str:
    # The creation event's note is the staff-facing routing reason: not for the reporter.
    if e.kind == EventKind.CREATED:
        return "Laporan diterima."
    return e.note or str(e.get_kind_display())


def can_reopen(report: Report, now: dt.datetime | None = None) -> bool:
    case = report.merged_into or report
    if (
        case.status not in (Status.RESOLVED, Status.REJECTED)
        or case.resolved_at is None
        and case.status == Status.RESOLVED
    ):
        return False
    since = case.resolved_at or case.acknowledged_at or case.updated_at
    return (now or timezone.now()) <= since + dt.timedelta(days=settings.SEJUK_REOPEN_DAYS)


def do_rate(report: Report, rating: int, comment: str = "") -> Report:
    if not 1 <= int(rating) <= 5:
        raise ReportError({"rating": _("give 1 to 5")})
    case = report.merged_into or report
    if case.status != Status.RESOLVED:
        raise ReportError({"rating": _("only a resolved report can be rated")})
    updated = Report.objects.filter(pk=report.pk, rating__isnull=True).update(
        rating=int(rating), rating_comment=(comment or "").strip()[:500]
    )
    if not updated:
        raise ReportError({"rating": _("this report was already rated")})
    _event(
        report,
        EventKind.RATING,
        None,
        label="pelapor",
        data={"rating": int(rating)},
        note=comment.strip()[:500],
    )
    report.refresh_from_db()
    return report


def do_reopen(report: Report, reason: str) -> Report:
    if not (reason or "").strip():
        raise ReportError({"reason": _("say why the report should be reopened")})
    if not can_reopen(report):
        raise ReportError(
            {
                "status": _("reports can be reopened within %(days)d days of closing")
                % {"days": settings.SEJUK_REOPEN_DAYS}
            }
        )
    case = report.merged_into or report
    with transaction.atomic():
        locked = _lock(case)
        before = locked.status
        locked.status = Status.IN_FOLLOW_UP if before == Status.RESOLVED else Status.RECEIVED
        locked.archived = False
        locked.resolved_at = None
        locked.save()
        _event(locked, EventKind.REOPEN, None, label="pelapor", from_status=before, to_status=locked.status,
               note=reason.strip(), public=True)  # fmt: skip
        transaction.on_commit(lambda: _notify_new(locked))
    return locked


def reporter_identity(user: User, report: Report) -> dict:
    """Decrypt the reporter's name and contact for an allowed role; audited."""
    from sejuk.reports.access import can_see_reporter

    if not can_see_reporter(user, report):
        raise NotAllowed("your role may not see the reporter's identity")
    audit.log_view(user, report, ["reporter_name", "reporter_contact"])
    return {
        "anonymous": report.anonymous,
        "name": crypto.decrypt(report.reporter_name_enc),
        "contact": crypto.decrypt(report.reporter_contact_enc),
    }


# --- archive and escalation ---------------------------------------------------------


def archive_closed(now: dt.datetime | None = None) -> int:
    """Resolved or rejected reports past their reopen window leave the queues."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.SEJUK_REOPEN_DAYS)
    return Report.objects.filter(
        status__in=[Status.RESOLVED, Status.REJECTED], archived=False, updated_at__lt=cutoff
    ).update(archived=True)


def run_escalations(now: dt.datetime | None = None) -> int:
    """Alert the Kapolsek when an SLA clock is missed, then the Kapolres.

    Safe to run twice or from two workers at once: each alert has a unique
    dedupe key, and the escalation level only moves up with a conditional
    UPDATE, so a restarted worker never sends the same alert again."""
    now = now or timezone.now()
    count = 0
    late = Report.objects.filter(
        status__in=OPEN_STATUSES, merged_into__isnull=True, agency_accepted_at__isnull=True
    )
    late = late.select_related("polsek", "polres")
    candidates = list(late.filter(acknowledged_at__isnull=True, ack_due_at__lt=now)) + list(
        late.filter(acknowledged_at__isnull=False, on_scene_at__isnull=True, scene_due_at__lt=now)
    )
    for report in candidates:
        clock = "ack" if report.acknowledged_at is None else "scene"
        due = report.ack_due_at if clock == "ack" else report.scene_due_at
        again = dt.timedelta(minutes=sla_for(report.urgency)["escalate_again_minutes"])
        needed = 2 if now > due + again else 1
        for level in range(1, needed + 1):
            if level == 1:
                unit_ids = [u for u in (report.polsek_id,) if u] or [
                    u for u in (report.polres_id,) if u
                ]
                roles = (
                    (Role.KAPOLSEK, Role.POLSEK_STAFF)
                    if report.polsek_id
                    else (Role.KAPOLRES, Role.POLRES_STAFF)
                )
            else:
                unit_ids = [u for u in (report.polres_id,) if u]
                roles = (Role.KAPOLRES, Role.POLRES_STAFF)
            minutes = int((now - due).total_seconds() // 60)
            what = "belum diverifikasi" if clock == "ack" else "belum ada petugas di lokasi"
            text = f"Eskalasi: laporan {report.ticket} ({report.get_urgency_display()}) {what}, terlambat {minutes} menit."
            sent = 0
            for user in _users_of(unit_ids, roles):
                sent += _notify(
                    user, report, "escalation", text, f"esc:{report.pk}:{clock}:{level}:{user.pk}"
                )
            moved = Report.objects.filter(pk=report.pk, escalation_level__lt=level).update(
                escalation_level=level
            )
            if moved:
                _event(report, EventKind.ESCALATION, None, label="sistem", note=text,
                       data={"level": level, "clock": clock, "notified": sent})  # fmt: skip
            count += sent
    return count

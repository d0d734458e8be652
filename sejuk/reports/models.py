"""Citizen reports (laporan warga) and their follow-up: tickets, routing,
triage, workflow with SLA clocks, escalation, hand-off, notifications."""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    WEB = "web", _("web form")
    API = "api", _("API")
    WHATSAPP = "whatsapp", _("WhatsApp")
    TELEGRAM = "telegram", _("Telegram")
    CALL_110 = "call_110", _("Call Center 110")
    OFFICER = "officer", _("officer in the field")


class Category(models.TextChoices):
    PROVOCATION = "provocation", _("provocation or hoax spreading")
    MONEY_POLITICS = "money_politics", _("money politics")
    INTIMIDATION = "intimidation", _("intimidation")
    CROWD = "crowd", _("crowd or clash")
    VANDALISM = "vandalism", _("vandalism of campaign props")
    SARA = "sara", _("SARA incitement")
    OTHER = "other", _("other")


class Urgency(models.TextChoices):
    URGENT = "urgent", _("urgent")
    NORMAL = "normal", _("normal")


class Status(models.TextChoices):
    RECEIVED = "received", _("received")
    VERIFIED = "verified", _("verified")
    REJECTED = "rejected", _("rejected")
    IN_FOLLOW_UP = "in_follow_up", _("in follow-up")
    HANDED_OFF = "handed_off", _("handed to another agency")
    RESOLVED = "resolved", _("resolved")


OPEN_STATUSES = (Status.RECEIVED, Status.VERIFIED, Status.IN_FOLLOW_UP, Status.HANDED_OFF)

TRANSITIONS: dict[str, set[str]] = {
    Status.RECEIVED: {Status.VERIFIED, Status.REJECTED},
    Status.VERIFIED: {Status.IN_FOLLOW_UP, Status.HANDED_OFF, Status.RESOLVED, Status.REJECTED},
    Status.IN_FOLLOW_UP: {Status.RESOLVED, Status.HANDED_OFF},
    Status.HANDED_OFF: {Status.IN_FOLLOW_UP, Status.RESOLVED},
    Status.REJECTED: {Status.RECEIVED},  # reopened by the reporter or a supervisor
    Status.RESOLVED: {Status.IN_FOLLOW_UP},  # reopened
}


class Agency(models.TextChoices):
    BAWASLU = "bawaslu", _("Bawaslu / Panwascam (election violations, e.g. money politics)")
    GAKKUMDU = "gakkumdu", _("Sentra Gakkumdu (election crimes)")
    SATPOL_PP = "satpol_pp", _("Satpol PP (public order)")
    UTILITY = "utility", _("utility (PLN, PAM, ...)")
    OTHER = "other", _("other agency")


class SlaPolicy(models.Model):
    """SLA clocks per urgency; editable by admins (defaults in migration 0002)."""

    urgency = models.CharField(max_length=10, choices=Urgency.choices, unique=True)
    ack_minutes = models.PositiveIntegerField(help_text=_("from receipt to verified or rejected"))
    scene_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("from receipt to someone on scene (in follow-up)")
    )
    escalate_again_minutes = models.PositiveIntegerField(
        default=30, help_text=_("after the Kapolsek is alerted, minutes until the Kapolres is")
    )

    def __str__(self) -> str:
        return f"{self.urgency}: ack {self.ack_minutes} min"


class Report(models.Model):
    ticket = models.CharField(max_length=12, editable=False)  # unique: see Meta
    channel = models.CharField(max_length=10, choices=Channel.choices)
    category = models.CharField(max_length=20, choices=Category.choices)
    description = models.TextField()
    urgency = models.CharField(max_length=10, choices=Urgency.choices, default=Urgency.NORMAL)
    urgency_reason = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=15, choices=Status.choices, default=Status.RECEIVED)

    # Where: coordinates and/or the text; the kelurahan is derived (routing).
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    address_text = models.CharField(max_length=300, blank=True)
    # No separate FK indexes where a composite index below starts with the column.
    kelurahan = models.ForeignKey(
        "territory.Wilayah",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reports",
        db_index=False,
    )
    located_by = models.CharField(
        max_length=20, blank=True, help_text=_("gps, gazetteer, operator, reroute")
    )
    polsek = models.ForeignKey(
        "territory.PoliceUnit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    polres = models.ForeignKey(
        "territory.PoliceUnit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    # Denormalised kode for scoping: the kelurahan, else the triage unit's territory.
    scope_kode = models.CharField(max_length=13, blank=True)
    assigned_officer = models.ForeignKey(
        "territory.Officer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reports",
        db_index=False,
    )

    # Reporter: encrypted at rest; the hash lets us rate-limit and link without decrypting.
    anonymous = models.BooleanField(default=False)
    reporter_name_enc = models.TextField(blank=True)
    reporter_contact_enc = models.TextField(blank=True)
    reporter_hash = models.CharField(max_length=64, blank=True)

    # Clocks. received_at never changes (re-routing must not hide lateness).
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    ack_due_at = models.DateTimeField()
    scene_due_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    on_scene_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(default=0)

    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_reports"
    )
    handed_to = models.CharField(max_length=20, choices=Agency.choices, blank=True)
    handed_to_detail = models.CharField(max_length=150, blank=True)
    agency_accepted_at = models.DateTimeField(null=True, blank=True)
    resolution_note = models.TextField(blank=True)
    rejection_reason = models.TextField(blank=True)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    rating_comment = models.CharField(max_length=500, blank=True)
    archived = models.BooleanField(default=False)
    client_key = models.CharField(
        max_length=64,
        blank=True,
        null=True,
        help_text=_("idempotency key from the channel"),
    )  # unique: see Meta
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    is_demo = models.BooleanField(default=False)
    # Set at intake; cleared by actions.process_intake once duplicates are
    # merged and the unit notified (in the worker, seconds later).
    intake_pending = models.BooleanField(default=False)
    # Written with the report at intake, emptied by process_intake: what the
    # worker needs to write the "created" event and the audit entry in its
    # batch ("at", the audit "actor", the event's "label", "note" and "data";
    # see created_event). Keeping them in the report's own row makes intake a
    # single INSERT, and they can never be lost, only delayed by seconds.
    intake_meta = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-received_at"]
        # Every index costs each intake INSERT and each intake UPDATE. Unique
        # and plain indexes are declared here rather than with unique=True or
        # db_index=True on the fields, which on PostgreSQL add a second
        # "varchar_pattern_ops" index per text column for LIKE 'x%' queries
        # that nothing here runs (tickets, keys and hashes are matched exactly;
        # scopes by range). No index on "archived": its queries go by status.
        constraints = [
            models.UniqueConstraint(fields=["ticket"], name="report_ticket_unique"),
            models.UniqueConstraint(fields=["client_key"], name="report_client_key_unique"),
        ]
        indexes = [
            models.Index(fields=["scope_kode"], name="report_scope_kode"),
            models.Index(fields=["reporter_hash"], name="report_reporter_hash"),
            models.Index(
                fields=["received_at"],
                condition=models.Q(intake_pending=True),
                name="report_intake_pending",
            ),
            models.Index(fields=["status", "ack_due_at"]),
            models.Index(fields=["kelurahan", "received_at"]),
            models.Index(fields=["polsek", "status"]),
            models.Index(fields=["polres", "status"]),
            models.Index(fields=["assigned_officer", "status"]),
            models.Index(fields=["category", "received_at"]),
        ]

    def __str__(self) -> str:
        return self.ticket

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def intake_time(self) -> dt.datetime:
        """When intake stored the report (``received_at`` may be the phoned-in time)."""
        try:
            at = dt.datetime.fromisoformat(str((self.intake_meta or {})["at"]))
        except (KeyError, TypeError, ValueError):
            return self.received_at
        return at if timezone.is_aware(at) else timezone.make_aware(at, dt.UTC)

    def created_event(self) -> ReportEvent | None:
        """The "created" event intake owes this report (unsaved), or None.

        ``process_intake`` saves it; until then the timelines show it as is."""
        meta = self.intake_meta or {}
        if "at" not in meta:
            return None
        data = meta.get("data")
        return ReportEvent(
            report=self,
            at=self.intake_time(),
            kind=EventKind.CREATED,
            actor_id=self.created_by_id,
            actor_label=str(meta.get("label") or "")[:150],
            note=str(meta.get("note") or ""),
            public=True,
            data=data if isinstance(data, dict) else {},
        )

    def timeline(self, *, public_only: bool = False) -> list[ReportEvent]:
        """Events, oldest first, with the "created" event intake has not written yet."""
        qs = self.events.filter(public=True) if public_only else self.events.all()
        events = sorted(qs, key=lambda e: (e.at, e.pk or 0))
        owed = self.created_event()
        if owed is not None and not any(e.kind == EventKind.CREATED for e in events):
            events.insert(0, owed)
        return events

    def can_move_to(self, status: str) -> bool:
        return status in TRANSITIONS.get(self.status, set())

    def allows(self, action: str) -> bool:
        """Whether a workflow action makes sense in this report's state."""
        if action == "note":
            return True
        if action == "unmerge":
            return self.merged_into_id is not None
        if self.merged_into_id is not None:
            return False  # a merged report is worked on its case
        target = {
            "verify": Status.VERIFIED,
            "reject": Status.REJECTED,
            "resolve": Status.RESOLVED,
            "handoff": Status.HANDED_OFF,
        }.get(action)
        if target is not None:
            return self.can_move_to(target)
        if action == "follow_up":
            return self.status in (Status.VERIFIED, Status.HANDED_OFF)
        if action == "on_scene":
            return (
                self.status in (Status.VERIFIED, Status.IN_FOLLOW_UP) and self.on_scene_at is None
            )
        if action == "agency_accepted":
            return self.status == Status.HANDED_OFF and self.agency_accepted_at is None
        if action in ("reroute", "merge"):
            return self.status in OPEN_STATUSES
        return False

    def sla_state(self, now: dt.datetime | None = None) -> str:
        """on_time / due_soon / late / met / n_a for the pending clock."""
        now = now or timezone.now()
        if self.status in (Status.RESOLVED, Status.REJECTED) or self.merged_into_id:
            return (
                "met" if self.acknowledged_at and self.acknowledged_at <= self.ack_due_at else "n_a"
            )
        due = self.pending_due()
        if due is None:
            return "met"
        if now > due:
            return "late"
        if (due - now) <= dt.timedelta(minutes=10):
            return "due_soon"
        return "on_time"

    def pending_due(self) -> dt.datetime | None:
        if self.acknowledged_at is None:
            return self.ack_due_at
        if self.scene_due_at and self.on_scene_at is None:
            return self.scene_due_at
        return None


class ReportPhoto(models.Model):
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to="reports/%Y/%m/")
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    is_proof = models.BooleanField(default=False, help_text=_("proof of resolution"))
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.report_id} photo"


class EventKind(models.TextChoices):
    CREATED = "created", _("received")
    TRANSITION = "transition", _("status change")
    NOTE = "note", _("note")
    REROUTE = "reroute", _("re-routed")
    ASSIGN = "assign", _("assigned")
    MERGE = "merge", _("merged")
    UNMERGE = "unmerge", _("merge undone")
    HANDOFF = "handoff", _("handed off")
    AGENCY_ACCEPTED = "agency_accepted", _("accepted by the agency")
    ESCALATION = "escalation", _("escalated")
    RATING = "rating", _("rated by the reporter")
    REOPEN = "reopen", _("reopened")
    ARCHIVE = "archive", _("archived")


class ReportEvent(models.Model):
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    from_status = models.CharField(max_length=15, blank=True)
    to_status = models.CharField(max_length=15, blank=True)
    note = models.TextField(blank=True)
    # Internal notes are never shown to the reporter.
    public = models.BooleanField(default=False)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.report_id} {self.kind}"


class Notification(models.Model):
    """An in-app notification, and the record of what was sent on other channels.

    ``dedupe_key`` is unique: an escalation that is computed twice (a worker
    restarted mid-run, two workers) inserts once and alerts once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    report = models.ForeignKey(
        Report, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=30)
    text = models.TextField()
    dedupe_key = models.CharField(max_length=120, unique=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.kind}"


class OutboundMessage(models.Model):
    """Every message sent to a person outside the app (WhatsApp, Telegram, email)."""

    channel = models.CharField(max_length=10)
    to_hash = models.CharField(max_length=64, db_index=True)
    to_enc = models.TextField()
    text = models.TextField()
    dedupe_key = models.CharField(max_length=120, unique=True, null=True, blank=True)
    # pending -> sending -> sent; a failure is "failed" with next_attempt_at set
    # while retries remain (senders.retry_due), and without it once given up.
    status = models.CharField(max_length=10, default="pending")
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.channel} {self.status}"


class Conversation(models.Model):
    """A guided chat (WhatsApp or Telegram) collecting a report step by step."""

    channel = models.CharField(max_length=10)
    user_hash = models.CharField(max_length=64)
    user_enc = models.TextField()
    state = models.CharField(max_length=20, default="start")
    data = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    report = models.ForeignKey(
        Report, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["channel", "user_hash"], name="conversation_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.state}"


class InboundMessage(models.Model):
    """Webhook messages already handled, by the platform's message id (providers retry)."""

    channel = models.CharField(max_length=10)
    message_id = models.CharField(max_length=200)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["channel", "message_id"], name="inbound_once")
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.message_id}"


class StreetAlias(models.Model):
    """A street name in a kelurahan, for the text gazetteer (imported or learned)."""

    name = models.CharField(max_length=150)
    kelurahan = models.ForeignKey(
        "territory.Wilayah", on_delete=models.CASCADE, related_name="streets"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "kelurahan"], name="street_once")]

    def __str__(self) -> str:
        return f"{self.name} ({self.kelurahan_id})"


def new_client_key() -> str:
    return uuid.uuid4().hex

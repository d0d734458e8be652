"""Field work: titik rawan, activities (patrol, sambang, dialogue, imbauan),
contacts and the complaints heard in the field."""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sejuk.territory.models import Level

# A check-in further than this from the titik rawan is flagged for review.
CHECKIN_FLAG_METRES = 200


def _lat():
    return [MinValueValidator(-90), MaxValueValidator(90)]


def _lon():
    return [MinValueValidator(-180), MaxValueValidator(180)]


class Vulnerability(models.TextChoices):
    RENDAH = "rendah", _("low")
    SEDANG = "sedang", _("medium")
    TINGGI = "tinggi", _("high")


VULNERABILITY_WEIGHT = {Vulnerability.RENDAH: 1, Vulnerability.SEDANG: 2, Vulnerability.TINGGI: 3}


class TitikCategory(models.TextChoices):
    CROWD = "crowd", _("crowd spot")
    MEETING = "meeting", _("community meeting place")
    OFFICE = "office", _("RT/RW or kelurahan office")
    CAMPAIGN = "campaign", _("campaign post or secretariat")
    TPS = "tps", _("TPS (polling station)")
    WORSHIP = "worship", _("place of worship")
    MARKET = "market", _("market")
    OTHER = "other", _("other")


class TitikRawan(models.Model):
    """A vulnerable point in a kelurahan."""

    name = models.CharField(_("name"), max_length=200)
    category = models.CharField(_("category"), max_length=20, choices=TitikCategory.choices)
    kelurahan = models.ForeignKey(
        "territory.Wilayah",
        on_delete=models.PROTECT,
        related_name="titik_rawan",
        limit_choices_to={"level": Level.KELURAHAN},
    )
    lat = models.FloatField(validators=_lat())
    lon = models.FloatField(validators=_lon())
    street = models.CharField(_("street"), max_length=200, blank=True)
    rt = models.CharField("RT", max_length=3, blank=True)
    rw = models.CharField("RW", max_length=3, blank=True)
    vulnerability = models.CharField(
        _("vulnerability"),
        max_length=10,
        choices=Vulnerability.choices,
        default=Vulnerability.SEDANG,
    )
    vulnerability_reason = models.TextField(_("why it is vulnerable"), blank=True)
    active_from = models.DateField(_("active from"), null=True, blank=True)
    active_until = models.DateField(_("active until"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    is_demo = models.BooleanField(default=False)

    class Meta:
        ordering = ["kelurahan_id", "name"]
        indexes = [models.Index(fields=["kelurahan", "category"])]
        verbose_name = _("titik rawan")
        verbose_name_plural = _("titik rawan")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = {}
        if self.active_from and self.active_until and self.active_until < self.active_from:
            errors["active_until"] = _("The end of the active period is before its start.")
        for field in ("rt", "rw"):
            value = getattr(self, field)
            if value and not value.isdigit():
                errors[field] = _("RT and RW are numbers, e.g. 05.")
        if errors:
            raise ValidationError(errors)

    def is_active_on(self, day: dt.date) -> bool:
        if self.active_from and day < self.active_from:
            return False
        return not (self.active_until and day > self.active_until)

    @property
    def address(self) -> str:
        parts = [self.street]
        if self.rt:
            parts.append(f"RT {self.rt.zfill(2)}")
        if self.rw:
            parts.append(f"RW {self.rw.zfill(2)}")
        return ", ".join(p for p in parts if p)


class ContactRole(models.TextChoices):
    KETUA_RT = "ketua_rt", _("Ketua RT")
    KETUA_RW = "ketua_rw", _("Ketua RW")
    TOKOH_MASYARAKAT = "tokoh_masyarakat", _("community figure")
    TOKOH_AGAMA = "tokoh_agama", _("religious leader")
    TOKOH_PEMUDA = "tokoh_pemuda", _("youth leader")
    PENGURUS = "pengurus", _("neighbourhood administrator")
    KELURAHAN = "kelurahan", _("kelurahan staff")
    OTHER = "other", _("other")


class Contact(models.Model):
    """A community figure or neighbourhood administrator. Personal data:
    visible only to the responsible officer and their superiors; every view
    is audited."""

    name = models.CharField(_("name"), max_length=150)
    category = models.CharField(_("kind"), max_length=20, choices=ContactRole.choices)
    role_title = models.CharField(
        _("role"), max_length=150, help_text=_('e.g. "Ketua RT 05 RW 02"')
    )
    kelurahan = models.ForeignKey(
        "territory.Wilayah",
        on_delete=models.PROTECT,
        related_name="contacts",
        limit_choices_to={"level": Level.KELURAHAN},
    )
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    is_demo = models.BooleanField(default=False)

    PERSONAL_FIELDS = ("name", "phone", "notes")

    class Meta:
        ordering = ["kelurahan_id", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.role_title})"


class ActivityKind(models.TextChoices):
    PATROL = "patroli", _("patrol (patroli wilayah)")
    SAMBANG = "sambang", _("door-to-door visit (sambang / DDS)")
    DIALOGUE = "dialog", _("dialogue with tokoh masyarakat")
    IMBAUAN = "imbauan", _("appeal or counselling (imbauan / penyuluhan)")


# The topic pick-list; free text is allowed too.
TOPICS = [
    ("cooling_system", _("cooling system Pilkada")),
    ("hoaks", _("hoaks media sosial")),
    ("provokasi", _("provocation / negative issues on social media")),
    ("politik_uang", _("money politics")),
    ("sara", _("SARA (ethnicity, religion, race, group)")),
    ("kamtibmas", _("security and public order")),
    ("tps", _("TPS security and voting day")),
    ("narkoba", _("drugs")),
    ("tawuran", _("brawls (tawuran)")),
    ("lapor_110", _("report to Bhabinkamtibmas / Call Center 110")),
]
TOPIC_KEYS = {k for k, _label in TOPICS}


class Activity(models.Model):
    """One patrol, visit, dialogue or appeal, logged by an officer (often offline)."""

    kind = models.CharField(_("kind"), max_length=10, choices=ActivityKind.choices)
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    kelurahan = models.ForeignKey(
        "territory.Wilayah",
        on_delete=models.PROTECT,
        related_name="activities",
        limit_choices_to={"level": Level.KELURAHAN},
    )
    officers = models.ManyToManyField("territory.Officer", related_name="activities")
    location_text = models.CharField(_("place"), max_length=200, blank=True)
    people_met = models.TextField(_("people met"), blank=True)
    contacts = models.ManyToManyField(Contact, blank=True, related_name="meetings")
    people_count = models.PositiveIntegerField(_("number of people met"), null=True, blank=True)
    topics = models.JSONField(_("topics"), default=list, blank=True)
    topics_other = models.CharField(_("other topics"), max_length=300, blank=True)
    appeals = models.TextField(_("appeals delivered"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    follow_up_needed = models.BooleanField(_("follow-up needed"), default=False)
    # Offline sync: the client generates this key once per record; a retried or
    # doubled submission with the same key never creates a second row.
    client_uuid = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    version = models.PositiveIntegerField(default=1)
    client_edited_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    is_demo = models.BooleanField(default=False)

    class Meta:
        ordering = ["-started_at"]
        indexes = [
            models.Index(fields=["kelurahan", "started_at"]),
            models.Index(fields=["kind", "started_at"]),
        ]
        verbose_name_plural = _("activities")

    def __str__(self) -> str:
        local = timezone.localtime(self.started_at)
        return f"{self.get_kind_display()} {local:%Y-%m-%d %H:%M}"

    def clean(self) -> None:
        if self.ended_at and self.ended_at < self.started_at:
            raise ValidationError({"ended_at": _("The end is before the start.")})
        unknown = [t for t in self.topics if t not in TOPIC_KEYS]
        if unknown:
            raise ValidationError(
                {"topics": _("Unknown topics: %(t)s") % {"t": ", ".join(unknown)}}
            )

    def topic_labels(self) -> list[str]:
        labels = dict(TOPICS)
        out = [str(labels[t]) for t in self.topics if t in labels]
        if self.topics_other:
            out.append(self.topics_other)
        return out


class Visit(models.Model):
    """A titik rawan visited during an activity, with the GPS check-in."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="visits")
    titik = models.ForeignKey(TitikRawan, on_delete=models.PROTECT, related_name="visits")
    checkin_at = models.DateTimeField()
    checkin_lat = models.FloatField(null=True, blank=True, validators=_lat())
    checkin_lon = models.FloatField(null=True, blank=True, validators=_lon())
    accuracy_m = models.FloatField(null=True, blank=True, validators=[MinValueValidator(0)])
    distance_m = models.FloatField(null=True, blank=True)
    flagged = models.BooleanField(
        default=False, help_text=_("check-in more than 200 m from the point")
    )

    class Meta:
        ordering = ["checkin_at"]
        indexes = [models.Index(fields=["titik", "checkin_at"])]
        constraints = [
            models.UniqueConstraint(fields=["activity", "titik"], name="visit_once_per_activity")
        ]

    def __str__(self) -> str:
        return f"{self.titik} @ {self.checkin_at:%Y-%m-%d %H:%M}"


def photo_path(instance, filename: str) -> str:
    day = timezone.now()
    return f"fieldwork/{day:%Y/%m}/{uuid.uuid4().hex}.jpg"


class ActivityPhoto(models.Model):
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to=photo_path, width_field="width", height_field="height")
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    caption = models.CharField(max_length=200, blank=True)
    client_uuid = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.caption or self.image.name


class ComplaintStatus(models.TextChoices):
    OPEN = "open", _("open")
    IN_PROGRESS = "in_progress", _("in progress")
    RESOLVED = "resolved", _("resolved")
    HANDED_OVER = "handed_over", _("handed to another agency")


COMPLAINT_TRANSITIONS = {
    ComplaintStatus.OPEN: {
        ComplaintStatus.IN_PROGRESS,
        ComplaintStatus.RESOLVED,
        ComplaintStatus.HANDED_OVER,
    },
    ComplaintStatus.IN_PROGRESS: {
        ComplaintStatus.RESOLVED,
        ComplaintStatus.HANDED_OVER,
        ComplaintStatus.OPEN,
    },
    ComplaintStatus.RESOLVED: {ComplaintStatus.IN_PROGRESS},
    ComplaintStatus.HANDED_OVER: {ComplaintStatus.IN_PROGRESS},
}


class FieldComplaint(models.Model):
    """A complaint heard in the field (keluhan warga), tracked to its end."""

    activity = models.ForeignKey(
        Activity, null=True, blank=True, on_delete=models.SET_NULL, related_name="complaints"
    )
    kelurahan = models.ForeignKey(
        "territory.Wilayah", on_delete=models.PROTECT, related_name="field_complaints"
    )
    summary = models.CharField(_("complaint"), max_length=300)
    details = models.TextField(_("details"), blank=True)
    raised_by = models.CharField(
        _("raised by"), max_length=150, blank=True, help_text=_("e.g. Ketua RT 05")
    )
    status = models.CharField(
        max_length=12, choices=ComplaintStatus.choices, default=ComplaintStatus.OPEN, db_index=True
    )
    owner = models.ForeignKey(
        "territory.Officer", on_delete=models.PROTECT, related_name="complaints"
    )
    due_date = models.DateField(_("due date"))
    handed_to = models.CharField(_("handed to"), max_length=150, blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    client_uuid = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    is_demo = models.BooleanField(default=False)

    class Meta:
        ordering = ["due_date", "id"]
        indexes = [
            models.Index(fields=["kelurahan", "status"]),
            models.Index(fields=["owner", "status"]),
        ]

    def __str__(self) -> str:
        return self.summary

    @property
    def is_open(self) -> bool:
        return self.status in (ComplaintStatus.OPEN, ComplaintStatus.IN_PROGRESS)

    def is_overdue(self, today: dt.date | None = None) -> bool:
        return self.is_open and self.due_date < (today or timezone.localdate())

    def can_move_to(self, status: str) -> bool:
        return status in COMPLAINT_TRANSITIONS.get(ComplaintStatus(self.status), set())


class ComplaintEvent(models.Model):
    complaint = models.ForeignKey(FieldComplaint, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '-'} → {self.to_status}"


class SyncConflict(models.Model):
    """A field edited on two devices. The server keeps one value by the rule in
    docs/fieldwork.md and records the other here, shown to the officer."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="conflicts")
    field = models.CharField(max_length=50)
    kept_value = models.JSONField(null=True)
    discarded_value = models.JSONField(null=True)
    discarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    acknowledged = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.activity_id}.{self.field}"


class ActivityRevision(models.Model):
    """A snapshot of an activity's fields at one version (the base of three-way merges)."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="revisions")
    version = models.PositiveIntegerField()
    data = models.JSONField()
    client_edited_at = models.DateTimeField(null=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["activity", "version"], name="revision_once")
        ]

    def __str__(self) -> str:
        return f"{self.activity_id} v{self.version}"

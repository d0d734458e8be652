"""Social-media monitoring: fact-checked claims, posts, narratives, spike alerts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Verdict(models.TextChoices):
    HOAX = "hoax", _("hoax")
    VALID = "valid", _("valid")
    MISLEADING = "misleading", _("misleading")


class FactCheck(models.Model):
    """One archived fact-checked claim (the hoax archive)."""

    text = models.TextField(_("claim"))
    title = models.CharField(_("summary"), max_length=300, blank=True)
    verdict = models.CharField(_("verdict"), max_length=12, choices=Verdict.choices)
    source = models.CharField(_("source"), max_length=200, blank=True)
    url = models.URLField(_("URL"), max_length=500, blank=True)
    checked_on = models.DateField(_("date"), null=True, blank=True)
    ref = models.CharField(
        max_length=100, help_text=_("identifier within the source; re-imports update by it")
    )
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-checked_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "ref"], name="factcheck_source_ref")
        ]
        indexes = [models.Index(fields=["verdict", "active"])]

    def __str__(self) -> str:
        return f"[{self.verdict}] {self.title or self.text[:80]}"


class Narrative(models.Model):
    """A cluster of similar posts; keeps its id as posts join (see analytics.narratives)."""

    title = models.CharField(max_length=200)
    terms = models.JSONField(default=list, blank=True)
    centroid = models.JSONField(default=dict, blank=True)
    post_count = models.PositiveIntegerField(default=0)
    provocative_count = models.PositiveIntegerField(default=0)
    sara_count = models.PositiveIntegerField(default=0)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-last_seen"]

    def __str__(self) -> str:
        return self.title


class Post(models.Model):
    """A social-media post as ingested: placed, classified, clustered."""

    platform = models.CharField(max_length=30)
    external_id = models.CharField(
        max_length=200, help_text=_("the platform's post id (or a hash of the post)")
    )
    author = models.CharField(max_length=150)
    text = models.TextField()
    posted_at = models.DateTimeField(db_index=True)
    url = models.CharField(max_length=500, blank=True)
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    location_text = models.CharField(max_length=300, blank=True)

    # Placement: the kelurahan (or only the kecamatan) the post is about.
    kelurahan = models.ForeignKey(
        "territory.Wilayah", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    area_kode = models.CharField(max_length=13, blank=True, db_index=True)
    located_by = models.CharField(max_length=20, blank=True)
    location_confidence = models.FloatField(default=0.0)
    # Who may see it: the area, else the monitoring unit's territory.
    scope_kode = models.CharField(max_length=13, blank=True)

    # Duplicates: the same text (normalised) or nearly; copies point at the first post.
    text_hash = models.CharField(max_length=16, db_index=True)
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="copies"
    )
    # False for a copy its own author posted again (it adds no reach to the volume).
    counted = models.BooleanField(default=True)

    scores = models.JSONField(default=dict, blank=True)
    labels = models.JSONField(default=list, blank=True)
    provocative = models.BooleanField(default=False)
    sara = models.BooleanField(default=False)
    classified_at = models.DateTimeField(null=True, blank=True)

    narrative = models.ForeignKey(
        Narrative, null=True, blank=True, on_delete=models.SET_NULL, related_name="posts"
    )
    source = models.CharField(max_length=100, blank=True)
    ingested_at = models.DateTimeField(default=timezone.now)
    is_demo = models.BooleanField(default=False)

    class Meta:
        ordering = ["-posted_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["platform", "external_id"], name="post_platform_id")
        ]
        indexes = [
            models.Index(fields=["scope_kode", "posted_at"]),
            models.Index(fields=["area_kode", "posted_at"]),
            models.Index(fields=["narrative", "posted_at"]),
            models.Index(fields=["kelurahan", "posted_at"]),
            models.Index(fields=["provocative", "posted_at"]),
            models.Index(fields=["sara", "posted_at"]),
            models.Index(fields=["classified_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.platform}:{self.external_id}"

    FLAG_KINDS = ("provocative", "sara", "flagged")

    @staticmethod
    def flag_q(kind: str | None) -> models.Q:
        """Posts of a flag kind (``FLAG_KINDS``; "flagged" is either); else all."""
        if kind == "provocative":
            return models.Q(provocative=True)
        if kind == "sara":
            return models.Q(sara=True)
        if kind == "flagged":
            return models.Q(provocative=True) | models.Q(sara=True)
        return models.Q()


class DedupeKey(models.Model):
    """One MinHash band key of a post: posts sharing a key are near-duplicate candidates."""

    key = models.BigIntegerField()
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="+")
    posted_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["key", "posted_at"])]

    def __str__(self) -> str:
        return f"{self.key} -> {self.post_id}"


class MonitoringSettings(models.Model):
    """Thresholds and talking points, managed by analysts (one row, pk=1)."""

    spike_window_hours = models.PositiveSmallIntegerField(_("spike window (hours)"), default=6)
    spike_baseline_days = models.PositiveSmallIntegerField(_("baseline (days)"), default=14)
    spike_min_count = models.PositiveSmallIntegerField(_("minimum posts in the window"), default=5)
    spike_ratio = models.FloatField(_("minimum ratio to the baseline"), default=3.0)
    spike_alpha = models.FloatField(_("significance (Poisson tail)"), default=0.001)
    spike_min_expected = models.FloatField(_("floor of the expected count"), default=0.5)
    provocation_threshold = models.FloatField(_("hate-speech score for provocative"), default=0.5)
    sara_threshold = models.FloatField(_("SARA score"), default=0.5)
    narrative_threshold = models.FloatField(_("narrative similarity"), default=0.15)
    narrative_window_hours = models.PositiveSmallIntegerField(
        _("narrative window (hours)"), default=72
    )
    claim_min_score = models.FloatField(_("minimum claim match score"), default=0.12)
    talking_points = models.JSONField(
        _("talking points"),
        null=True,
        blank=True,
        help_text=_("empty: the defaults shipped with Sejuk"),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "monitoring settings"

    def __str__(self) -> str:
        return "monitoring settings"

    @classmethod
    def current(cls) -> MonitoringSettings:
        obj = cls.objects.filter(pk=1).first()
        if obj is None:
            obj, _created = cls.objects.get_or_create(pk=1)
        return obj


class AlertKind(models.TextChoices):
    PROVOCATION = "provocation", _("provocation")
    SARA = "sara", _("SARA")


class AlertStatus(models.TextChoices):
    OPEN = "open", _("open")
    ACKNOWLEDGED = "acknowledged", pgettext_lazy("alert status", "acknowledged")
    CLOSED = "closed", _("closed")


class Alert(models.Model):
    """A spike of provocative or SARA posts about one area, with its brief."""

    area_kode = models.CharField(max_length=13, db_index=True)
    kind = models.CharField(max_length=12, choices=AlertKind.choices)
    status = models.CharField(
        max_length=12, choices=AlertStatus.choices, default=AlertStatus.OPEN, db_index=True
    )
    observed = models.PositiveIntegerField()
    expected = models.FloatField()
    p_value = models.FloatField()
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    first_detected_at = models.DateTimeField(default=timezone.now, db_index=True)
    last_detected_at = models.DateTimeField(default=timezone.now)
    brief = models.JSONField(default=dict, blank=True)
    polsek = models.ForeignKey(
        "territory.PoliceUnit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    dedupe_key = models.CharField(max_length=120, unique=True)
    notified = models.PositiveIntegerField(default=0)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-last_detected_at", "-id"]
        indexes = [models.Index(fields=["area_kode", "kind", "last_detected_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.area_kode} {self.first_detected_at:%Y-%m-%d %H:%M}"

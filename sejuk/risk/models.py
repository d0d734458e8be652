"""Early warning: assessments, incidents, the daily index, rollups, forecast hotspots, alerts."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from sejuk.territory.models import Level


class RiskLevel(models.TextChoices):
    RENDAH = "rendah", _("low")
    SEDANG = "sedang", _("medium")
    TINGGI = "tinggi", _("high")


# Days the app accepts (pages, API, commands, incident times): wide enough for
# any real use, narrow enough that date arithmetic (a month back, a day ahead,
# the conversion to UTC) cannot overflow.
DAY_MIN = dt.date(2000, 1, 1)
DAY_MAX = dt.date(2100, 12, 31)

LEVEL_ORDER = {RiskLevel.RENDAH: 0, RiskLevel.SEDANG: 1, RiskLevel.TINGGI: 2}


class Assessment(models.Model):
    """One filled IKP/IPKP assessment form for a kelurahan and period.

    Never edited: a correction is a new row, so the history shows who said
    what when. The index uses the newest assessment whose period covers the
    day (see ``sejuk.risk.signals``)."""

    kelurahan = models.ForeignKey(
        "territory.Wilayah",
        on_delete=models.PROTECT,
        related_name="risk_assessments",
        limit_choices_to={"level": Level.KELURAHAN},
        db_index=False,
    )
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    spec_version = models.CharField(max_length=40)
    # {indicator code: answer 0..a_max}
    answers = models.JSONField(default=dict)
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    is_demo = models.BooleanField(default=False)

    class Meta:
        ordering = ["-period_start", "-created_at", "-id"]
        indexes = [models.Index(fields=["kelurahan", "period_start"])]

    def __str__(self) -> str:
        return f"{self.kelurahan_id} {self.period_start}–{self.period_end}"

    def clean(self) -> None:
        if self.period_start and self.period_end and self.period_end < self.period_start:
            raise ValidationError({"period_end": _("The period ends before it starts.")})


class IncidentKind(models.TextChoices):
    CLASH = "clash", _("clash or brawl")
    INTIMIDATION = "intimidation", _("intimidation")
    VANDALISM = "vandalism", _("vandalism")
    MONEY_POLITICS = "money_politics", _("money politics")
    SARA = "sara", _("SARA incitement")
    PROVOCATION = "provocation", _("provocation or hoax")
    PROTEST = "protest", _("demonstration")
    OTHER = "other", _("other")


class Severity(models.IntegerChoices):
    MINOR = 1, _("minor")
    MODERATE = 2, _("moderate")
    SERIOUS = 3, _("serious")


class IncidentSource(models.TextChoices):
    FIELD_LOG = "field_log", _("field log")
    VERIFIED_REPORT = "verified_report", _("verified citizen report")
    MANUAL = "manual", _("entered by hand")
    IMPORT = "import", _("imported")


class Incident(models.Model):
    """A real event of disorder in a kelurahan (gangguan nyata)."""

    kelurahan = models.ForeignKey(
        "territory.Wilayah",
        on_delete=models.PROTECT,
        related_name="risk_incidents",
        limit_choices_to={"level": Level.KELURAHAN},
        db_index=False,
    )
    occurred_at = models.DateTimeField(_("occurred at"), db_index=True)
    kind = models.CharField(_("kind"), max_length=20, choices=IncidentKind.choices)
    severity = models.PositiveSmallIntegerField(
        _("severity"), choices=Severity.choices, default=Severity.MINOR
    )
    lat = models.FloatField(
        _("latitude"),
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    lon = models.FloatField(
        _("longitude"),
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    source = models.CharField(
        _("source"), max_length=20, choices=IncidentSource.choices, default=IncidentSource.MANUAL
    )
    description = models.TextField(_("description"), blank=True)
    report = models.ForeignKey(
        "reports.Report", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    activity = models.ForeignKey(
        "fieldwork.Activity", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The identifier in an imported file: re-importing the file updates, never doubles.
    ref = models.CharField(max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    is_demo = models.BooleanField(default=False)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["kelurahan", "occurred_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "ref"], condition=~models.Q(ref=""), name="incident_source_ref"
            )
        ]

    def __str__(self) -> str:
        local = timezone.localtime(self.occurred_at)
        return f"{self.get_kind_display()} {self.kelurahan_id} {local:%Y-%m-%d %H:%M}"

    def clean(self) -> None:
        if (self.lat is None) != (self.lon is None):
            raise ValidationError(_("Give both latitude and longitude, or neither."))


class DailyRisk(models.Model):
    """The index of one kelurahan on one day, with its explanation.

    ``contributions`` maps each component with points (indicators, signals,
    ``calendar``) to its points, and they add up to ``score``; ``inputs``
    holds the values behind them (answers, signal values). Zeros are left
    out to keep 84,000 rows a day small."""

    kelurahan = models.ForeignKey(
        "territory.Wilayah", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    date = models.DateField()
    score = models.FloatField()
    level = models.CharField(max_length=6, choices=RiskLevel.choices)
    # Least-squares slope of the score over this day and the six before, points per day.
    trend = models.FloatField(null=True, blank=True)
    static_points = models.FloatField(default=0.0)
    signal_points = models.FloatField(default=0.0)
    calendar_points = models.FloatField(default=0.0)
    phase = models.CharField(max_length=10, default="none")
    assessed = models.BooleanField(default=False)
    contributions = models.JSONField(default=dict)
    inputs = models.JSONField(default=dict)
    spec_version = models.CharField(max_length=40)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-date", "-score"]
        constraints = [
            models.UniqueConstraint(fields=["kelurahan", "date"], name="risk_daily_once")
        ]
        indexes = [
            models.Index(fields=["date", "level"]),
            models.Index(fields=["date", "kelurahan"]),
        ]

    def __str__(self) -> str:
        return f"{self.kelurahan_id} {self.date}: {self.score:.1f} ({self.level})"


class RollupKind(models.TextChoices):
    PROVINSI = "provinsi", _("Provinsi")
    KOTA = "kota", _("Kabupaten/Kota")
    KECAMATAN = "kecamatan", _("Kecamatan")
    POLDA = "polda", _("Polda")
    POLRES = "polres", _("Polres")
    POLSEK = "polsek", _("Polsek")


class RiskRollup(models.Model):
    """An area's or a police unit's index on one day: the maximum of its kelurahan,
    with the mean and the number of kelurahan per level (docs/risk.md)."""

    date = models.DateField()
    kind = models.CharField(max_length=10, choices=RollupKind.choices)
    # The wilayah kode (areas) or the unit code (units).
    code = models.CharField(max_length=64)
    name = models.CharField(max_length=120)
    unit = models.ForeignKey(
        "territory.PoliceUnit", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    score = models.FloatField(help_text=_("maximum of the kelurahan scores"))
    mean = models.FloatField()
    level = models.CharField(max_length=6, choices=RiskLevel.choices)
    n_kelurahan = models.PositiveIntegerField()
    n_rendah = models.PositiveIntegerField(default=0)
    n_sedang = models.PositiveIntegerField(default=0)
    n_tinggi = models.PositiveIntegerField(default=0)
    top_kelurahan = models.ForeignKey(
        "territory.Wilayah", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-date", "kind", "code"]
        constraints = [
            models.UniqueConstraint(fields=["date", "kind", "code"], name="risk_rollup_once")
        ]
        indexes = [models.Index(fields=["kind", "code", "date"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.code} {self.date}: {self.score:.1f}"


class ForecastHotspot(models.Model):
    """A grid cell in the forecast's top share for the day ``as_of``."""

    as_of = models.DateField()
    cell = models.CharField(max_length=40)
    rank = models.PositiveIntegerField()
    score = models.FloatField()
    lat = models.FloatField()
    lon = models.FloatField()
    kelurahan = models.ForeignKey(
        "territory.Wilayah", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    model = models.CharField(max_length=30)
    scope = models.CharField(max_length=13, blank=True)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-as_of", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["as_of", "scope", "cell"], name="risk_hotspot_once")
        ]
        indexes = [models.Index(fields=["kelurahan", "as_of"])]

    def __str__(self) -> str:
        return f"{self.as_of} #{self.rank} {self.cell}"


class AlertKind(models.TextChoices):
    LEVEL_UP = "level_up", _("moved up a level")
    FORECAST = "forecast", _("forecast hotspot")


class AlertStatus(models.TextChoices):
    OPEN = "open", _("open")
    # Own context: elsewhere "acknowledged" means a report was verified.
    ACKNOWLEDGED = "acknowledged", pgettext_lazy("alert status", "acknowledged")
    CLOSED = "closed", _("closed")


class RiskAlert(models.Model):
    """An early-warning alert for a kelurahan; ``dedupe_key`` is unique, so a
    job that runs twice (or two workers) raises it once."""

    kind = models.CharField(max_length=10, choices=AlertKind.choices)
    kelurahan = models.ForeignKey(
        "territory.Wilayah", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    date = models.DateField()
    level = models.CharField(max_length=6, choices=RiskLevel.choices, blank=True)
    previous_level = models.CharField(max_length=6, choices=RiskLevel.choices, blank=True)
    score = models.FloatField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=12, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    dedupe_key = models.CharField(max_length=120, unique=True)
    notified = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-date", "-created_at", "-id"]
        indexes = [
            models.Index(fields=["kelurahan", "kind", "date"]),
            models.Index(fields=["status", "date"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.kelurahan_id} {self.date}"

    @property
    def is_open(self) -> bool:
        return self.status == AlertStatus.OPEN


class ComputeRun(models.Model):
    """One run of the index computation (for the admin page and troubleshooting)."""

    date = models.DateField()
    scope = models.CharField(max_length=200)
    kelurahan = models.PositiveIntegerField()
    spec_version = models.CharField(max_length=40)
    source = models.CharField(max_length=40)
    seconds = models.FloatField()
    alerts = models.PositiveIntegerField(default=0)
    finished_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-finished_at"]

    def __str__(self) -> str:
        return f"{self.date} {self.scope} ({self.kelurahan})"

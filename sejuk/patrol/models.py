"""Patrol planning: scheduled events, daily plans per officer and their stops.

A plan is one officer's route for one day over the titik rawan of their
kelurahan (and the scheduled events there). Every candidate point of that day
is a ``PlanStop`` row, routed or not, so that the Kapolsek's directives (pin,
lock, remove) live on the row and survive a re-plan. See docs/patrol.md.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sejuk.fieldwork.models import Vulnerability
from sejuk.territory.models import Level

DEFAULT_SHIFT_START = dt.time(8, 0)
DEFAULT_SHIFT_END = dt.time(16, 0)


def _lat():
    return [MinValueValidator(-90), MaxValueValidator(90)]


def _lon():
    return [MinValueValidator(-180), MaxValueValidator(180)]


class EventKind(models.TextChoices):
    CAMPAIGN = "campaign", _("campaign rally")
    DEBATE = "debate", _("debate viewing or public meeting")
    RELIGIOUS = "religious", _("religious gathering")
    ELECTION = "election", _("election activity (KPU, Bawaslu, TPS)")
    COMMUNITY = "community", _("community event")
    OTHER = "other", _("other")


class ScheduledEvent(models.Model):
    """Something happening at a titik rawan or a place at a known time (a campaign
    rally 14:00-16:00): the plan puts the officer there inside that window."""

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices)
    kelurahan = models.ForeignKey(
        "territory.Wilayah",
        on_delete=models.PROTECT,
        related_name="patrol_events",
        limit_choices_to={"level": Level.KELURAHAN},
    )
    titik = models.ForeignKey(
        "fieldwork.TitikRawan",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="events",
        verbose_name=_("titik rawan"),
        help_text=_("Leave empty for a place that is not a titik rawan, and give its location."),
    )
    place = models.CharField(_("place"), max_length=200, blank=True)
    lat = models.FloatField(null=True, blank=True, validators=_lat())
    lon = models.FloatField(null=True, blank=True, validators=_lon())
    day = models.DateField(_("day"), db_index=True)
    starts_at = models.TimeField(_("starts at"))
    ends_at = models.TimeField(_("ends at"))
    importance = models.CharField(
        _("importance"),
        max_length=10,
        choices=Vulnerability.choices,
        default=Vulnerability.TINGGI,
    )
    must_attend = models.BooleanField(
        _("must attend"),
        default=True,
        help_text=_("The plan must put an officer there during the event when it can."),
    )
    presence_minutes = models.PositiveSmallIntegerField(
        _("minutes on site"), default=30, validators=[MinValueValidator(5), MaxValueValidator(600)]
    )
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    is_demo = models.BooleanField(default=False)

    class Meta:
        ordering = ["day", "starts_at", "pk"]
        indexes = [models.Index(fields=["kelurahan", "day"])]
        verbose_name = _("scheduled event")
        verbose_name_plural = _("scheduled events")

    def __str__(self) -> str:
        return f"{self.name} {self.day:%Y-%m-%d} {self.starts_at:%H:%M}-{self.ends_at:%H:%M}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = _("The event ends before it starts.")
        if self.titik_id is None and (self.lat is None or self.lon is None):
            errors["lat"] = _("Pick a titik rawan or give the location of the place.")
        if self.titik_id is not None and self.kelurahan_id:
            titik_kel = self.titik.kelurahan_id
            if titik_kel != self.kelurahan_id:
                errors["titik"] = _("This titik rawan is in another kelurahan.")
        if (
            self.starts_at
            and self.ends_at
            and self.presence_minutes
            and self.presence_minutes > _minutes(self.ends_at) - _minutes(self.starts_at)
        ):
            errors["presence_minutes"] = _("Longer than the event itself.")
        if errors:
            raise ValidationError(errors)

    @property
    def location(self) -> tuple[float, float] | None:
        if self.titik_id is not None:
            return self.titik.lat, self.titik.lon
        if self.lat is None or self.lon is None:
            return None
        return self.lat, self.lon

    @property
    def place_label(self) -> str:
        return self.titik.name if self.titik_id is not None else self.place


def _minutes(t: dt.time) -> int:
    return t.hour * 60 + t.minute


class TravelMode(models.TextChoices):
    MOTORBIKE = "motorbike", _("motorbike")
    FOOT = "foot", _("on foot")


class OfficerPatrolSettings(models.Model):
    """An officer's own shift and travel, when they differ from the defaults."""

    officer = models.OneToOneField(
        "territory.Officer", on_delete=models.CASCADE, related_name="patrol_settings"
    )
    shift_start = models.TimeField(_("shift starts"), default=DEFAULT_SHIFT_START)
    shift_end = models.TimeField(_("shift ends"), default=DEFAULT_SHIFT_END)
    mode = models.CharField(
        _("travel"), max_length=10, choices=TravelMode.choices, default=TravelMode.MOTORBIKE
    )
    # Where the day starts and ends; empty = the Polsek, else the kelurahan centroid.
    start_lat = models.FloatField(null=True, blank=True, validators=_lat())
    start_lon = models.FloatField(null=True, blank=True, validators=_lon())
    active = models.BooleanField(
        _("plan this officer"), default=True, help_text=_("Off: no daily plan is made.")
    )

    class Meta:
        verbose_name = _("officer patrol settings")
        verbose_name_plural = _("officer patrol settings")

    def __str__(self) -> str:
        return f"{self.officer} {self.shift_start:%H:%M}-{self.shift_end:%H:%M}"

    def clean(self) -> None:
        if self.shift_start and self.shift_end and self.shift_end <= self.shift_start:
            raise ValidationError({"shift_end": _("The shift ends before it starts.")})
        if (self.start_lat is None) != (self.start_lon is None):
            raise ValidationError({"start_lat": _("Give both latitude and longitude, or neither.")})


class PlanSource(models.TextChoices):
    EVENING = "evening", _("evening job")
    ON_DEMAND = "on_demand", _("on demand")
    REPLAN = "replan", _("re-plan")


class PatrolPlan(models.Model):
    """One officer's route for one day."""

    officer = models.ForeignKey(
        "territory.Officer", on_delete=models.CASCADE, related_name="patrol_plans"
    )
    day = models.DateField(_("day"), db_index=True)
    # The officer's (first) kelurahan, so plans are scoped like every other record.
    kelurahan = models.ForeignKey(
        "territory.Wilayah", on_delete=models.PROTECT, related_name="patrol_plans"
    )
    shift_start = models.TimeField(_("shift starts"), default=DEFAULT_SHIFT_START)
    shift_end = models.TimeField(_("shift ends"), default=DEFAULT_SHIFT_END)
    start_lat = models.FloatField(validators=_lat())
    start_lon = models.FloatField(validators=_lon())
    start_label = models.CharField(max_length=200, blank=True)
    end_lat = models.FloatField(validators=_lat())
    end_lon = models.FloatField(validators=_lon())
    end_label = models.CharField(max_length=200, blank=True)
    mode = models.CharField(
        _("travel"), max_length=10, choices=TravelMode.choices, default=TravelMode.MOTORBIKE
    )
    revisit_days = models.PositiveSmallIntegerField(default=7)
    source = models.CharField(max_length=10, choices=PlanSource.choices)
    revision = models.PositiveIntegerField(default=1)
    generated_at = models.DateTimeField(default=timezone.now)
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    seed = models.PositiveIntegerField(default=0)
    solver_seconds = models.FloatField(default=0)
    prize_planned = models.FloatField(default=0)
    prize_available = models.FloatField(default=0)
    feasible = models.BooleanField(
        default=True, help_text=_("The independent checker accepted the route.")
    )
    # Human-readable notes from planning (a pinned stop that did not fit, ...).
    warnings = models.JSONField(default=list, blank=True)
    # A directive changed since the route was computed: re-plan to apply it.
    needs_replan = models.BooleanField(default=False)

    class Meta:
        ordering = ["-day", "officer__name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["officer", "day"], name="patrol_plan_once_per_day")
        ]
        indexes = [models.Index(fields=["kelurahan", "day"])]
        verbose_name = _("patrol plan")
        verbose_name_plural = _("patrol plans")

    def __str__(self) -> str:
        return f"{self.officer} {self.day:%Y-%m-%d}"

    def routed_stops(self) -> models.QuerySet[PlanStop]:
        return self.stops.filter(sequence__isnull=False).order_by("sequence")


class PlanStop(models.Model):
    """A candidate point of a plan: routed (``sequence`` set) or left out."""

    plan = models.ForeignKey(PatrolPlan, on_delete=models.CASCADE, related_name="stops")
    titik = models.ForeignKey(
        "fieldwork.TitikRawan",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="plan_stops",
    )
    event = models.ForeignKey(
        ScheduledEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="plan_stops"
    )
    name = models.CharField(max_length=200)
    lat = models.FloatField(validators=_lat())
    lon = models.FloatField(validators=_lon())
    # Position in the route (1-based); null when the point is not visited today.
    sequence = models.PositiveSmallIntegerField(null=True, blank=True)
    arrive_at = models.DateTimeField(null=True, blank=True)
    start_at = models.DateTimeField(null=True, blank=True)
    depart_at = models.DateTimeField(null=True, blank=True)
    # Allowed service-start windows as [["HH:MM", "HH:MM"], ...] in Asia/Jakarta.
    windows = models.JSONField(default=list, blank=True)
    service_minutes = models.PositiveSmallIntegerField(default=20)
    prize = models.FloatField(default=0)
    must_visit = models.BooleanField(default=False)
    # Why it is must-visit or why it scores: "overdue", "event", "pinned", "locked".
    reason = models.CharField(max_length=20, blank=True)
    days_since_visit = models.PositiveIntegerField(null=True, blank=True)
    # The Kapolsek's directives, kept across re-plans.
    pinned = models.BooleanField(_("pinned"), default=False)
    locked = models.BooleanField(_("locked"), default=False)
    removed = models.BooleanField(_("removed"), default=False)
    # The field log that did it (linked when the officer marks the stop done,
    # or when a visit to this point is logged on the plan's day).
    visit = models.ForeignKey(
        "fieldwork.Visit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    activity = models.ForeignKey(
        "fieldwork.Activity", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["plan_id", models.F("sequence").asc(nulls_last=True), "-prize", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "titik"],
                condition=models.Q(titik__isnull=False),
                name="plan_stop_titik_once",
            ),
            models.UniqueConstraint(
                fields=["plan", "event"],
                condition=models.Q(titik__isnull=True, event__isnull=False),
                name="plan_stop_event_once",
            ),
        ]
        indexes = [models.Index(fields=["titik", "plan"])]

    def __str__(self) -> str:
        pos = f"#{self.sequence} " if self.sequence else ""
        return f"{pos}{self.name}"

    @property
    def routed(self) -> bool:
        return self.sequence is not None

    @property
    def key(self) -> str:
        """The point's identity across re-plans: its titik, else its event."""
        return f"t{self.titik_id}" if self.titik_id else f"e{self.event_id}"

    def windows_label(self) -> str:
        return ", ".join(f"{a}–{b}" for a, b in self.windows)

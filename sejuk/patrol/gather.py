"""Read what a day's plan is built from out of the database (the Django half of the
glue; ``planning.py`` is the other half and has no Django import).

* officers: their shift and start point (``OfficerPatrolSettings`` if any, else the
  defaults; start at the Polsek if it has a location, else the kelurahan centroid);
* points: the titik rawan of their kelurahan active on the day, priced by
  ``prize.titik_prize`` from the last visit before the day; overdue ones are
  must-visit; scheduled events add their time windows and prize (an event at a place
  that is not a titik rawan is a point of its own);
* directives: pin, lock and remove from the officer's existing plan for the day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from django.apps import apps
from django.db.models import Max
from django.utils import timezone

from sejuk.fieldwork.models import TitikRawan, Visit
from sejuk.patrol import prize
from sejuk.patrol.models import (
    DEFAULT_SHIFT_END,
    DEFAULT_SHIFT_START,
    OfficerPatrolSettings,
    PatrolPlan,
    ScheduledEvent,
    TravelMode,
)
from sejuk.patrol.planning import (
    LOCK_SLACK_MINUTES,
    SERVICE_MINUTES,
    OfficerInput,
    PointInput,
    minutes,
    parse_hhmm,
)
from sejuk.territory.models import Officer, Wilayah

# The risk index of a day is computed for that day; a plan made the evening before
# uses the latest score at most this many days old.
RISK_MAX_AGE_DAYS = 3


def kelurahan_risk_scores(codes: Iterable[str], day: dt.date) -> dict[str, float]:
    """The risk index's score per kelurahan in [0, 1] (``DailyRisk.score`` / 100): the
    latest score on or before ``day``, at most ``RISK_MAX_AGE_DAYS`` old.

    Kelurahan without a recent score are left out, and their points are priced by
    their titik rawan level alone (``prize.risk_of``).
    """
    try:
        daily = apps.get_model("risk", "DailyRisk")
    except LookupError:  # the risk app is not installed
        return {}
    out: dict[str, float] = {}
    rows = (
        daily.objects.filter(
            kelurahan_id__in=list(codes),
            date__lte=day,
            date__gte=day - dt.timedelta(days=RISK_MAX_AGE_DAYS),
        )
        .order_by("kelurahan_id", "date")
        .values_list("kelurahan_id", "score")
    )
    for kode, score in rows:  # ascending dates: the latest wins
        out[kode] = min(1.0, max(0.0, float(score) / 100.0))
    return out


def officer_input(
    officer: Officer,
    *,
    kelurahan: Sequence[Wilayah],
    plan: PatrolPlan | None = None,
    settings: OfficerPatrolSettings | None = None,
) -> OfficerInput:
    """An officer's day: the plan's own shift when re-planning, else their settings."""
    codes = tuple(k.kode for k in kelurahan)
    if plan is not None:
        start_min, end_min = minutes(plan.shift_start), minutes(plan.shift_end)
        start = (plan.start_lat, plan.start_lon)
        end = (plan.end_lat, plan.end_lon)
        return OfficerInput(
            officer_id=officer.pk,
            name=str(officer),
            kelurahan=codes,
            shift_start=start_min,
            shift_end=end_min,
            start=start,
            end=end,
            mode=plan.mode,
            start_label=plan.start_label,
            end_label=plan.end_label,
        )
    shift_start = settings.shift_start if settings else DEFAULT_SHIFT_START
    shift_end = settings.shift_end if settings else DEFAULT_SHIFT_END
    mode = settings.mode if settings else TravelMode.MOTORBIKE
    location, label = home_of(officer, kelurahan, settings)
    return OfficerInput(
        officer_id=officer.pk,
        name=str(officer),
        kelurahan=codes,
        shift_start=minutes(shift_start),
        shift_end=minutes(shift_end),
        start=location,
        end=location,
        mode=str(mode),
        start_label=label,
        end_label=label,
    )


def home_of(
    officer: Officer, kelurahan: Sequence[Wilayah], settings: OfficerPatrolSettings | None
) -> tuple[tuple[float, float], str]:
    """Where the officer's day starts and ends, and what to call it."""
    if settings is not None and settings.start_lat is not None and settings.start_lon is not None:
        return (settings.start_lat, settings.start_lon), ""
    unit = officer.unit
    if unit.lat is not None and unit.lon is not None:
        return (unit.lat, unit.lon), unit.name
    for k in kelurahan:
        if k.centroid_lat is not None and k.centroid_lon is not None:
            return (k.centroid_lat, k.centroid_lon), f"{k.display} (centroid)"
    raise ValueError(
        f"no start point for {officer}: the {unit.name} has no location and "
        f"{', '.join(k.kode for k in kelurahan) or 'no kelurahan'} has no boundary"
    )


def last_visits(titik_ids: Sequence[int], before: dt.datetime) -> dict[int, dt.date]:
    """The local date of each titik's last visit before ``before``."""
    out = {}
    for row in (
        Visit.objects.filter(titik_id__in=titik_ids, checkin_at__lt=before)
        .values("titik_id")
        .annotate(last=Max("checkin_at"))
        .order_by()
    ):
        out[row["titik_id"]] = timezone.localtime(row["last"]).date()
    return out


def gather_points(
    codes: Sequence[str],
    day: dt.date,
    *,
    revisit_days: int = prize.DEFAULT_REVISIT_DAYS,
    scores: dict[str, float] | None = None,
) -> list[PointInput]:
    """The candidate points of ``day`` in the kelurahan ``codes``."""
    scores = kelurahan_risk_scores(codes, day) if scores is None else scores
    tz = timezone.get_default_timezone()
    day_start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    titik = [t for t in TitikRawan.objects.filter(kelurahan_id__in=codes) if t.is_active_on(day)]
    last = last_visits([t.pk for t in titik], day_start)
    points: dict[str, PointInput] = {}
    for t in titik:
        days_since = (day - last[t.pk]).days if t.pk in last else None
        overdue = prize.is_overdue(days_since, revisit_days)
        points[f"t{t.pk}"] = PointInput(
            key=f"t{t.pk}",
            name=t.name,
            kelurahan=t.kelurahan_id,
            lat=t.lat,
            lon=t.lon,
            prize=prize.titik_prize(
                t.vulnerability,
                t.category,
                days_since,
                revisit_days=revisit_days,
                kelurahan_score=scores.get(t.kelurahan_id),
            ),
            service_minutes=SERVICE_MINUTES.get(t.category, 15),
            must_visit=overdue,
            reason="overdue" if overdue else "",
            days_since=days_since,
            titik_id=t.pk,
        )
    events = ScheduledEvent.objects.filter(kelurahan_id__in=codes, day=day).select_related("titik")
    for e in events.order_by("starts_at", "pk"):
        start, end = minutes(e.starts_at), minutes(e.ends_at)
        # The officer starts being there at the latest ``presence`` before the end.
        window = (start, max(start, end - e.presence_minutes))
        bonus = prize.event_prize(e.importance, scores.get(e.kelurahan_id))
        key = f"t{e.titik_id}" if e.titik_id else f"e{e.pk}"
        p = points.get(key)
        if p is None:
            location = e.location
            if location is None:
                continue
            p = points[key] = PointInput(
                key=key,
                name=e.name if not e.titik_id else e.titik.name,
                kelurahan=e.kelurahan_id,
                lat=location[0],
                lon=location[1],
                prize=0.0,
                service_minutes=0,
                titik_id=e.titik_id,
                event_id=e.pk,
            )
        p.windows.append(window)
        p.prize += bonus
        p.service_minutes = max(p.service_minutes, e.presence_minutes)
        p.event_id = p.event_id or e.pk
        if e.must_attend:
            p.must_visit = True
        p.reason = "event"
    for p in points.values():
        p.windows.sort()
    return sorted(points.values(), key=lambda p: (p.kelurahan, -p.prize, p.key))


def apply_directives(points: list[PointInput], plan: PatrolPlan | None) -> list[str]:
    """Carry the pins, locks and removals of ``plan`` over to ``points``.

    A locked stop keeps its officer and start time; a done stop is not routed again
    (re-planning today keeps the stops done before now in place, see
    ``actions.do_generate_plans``). Returns warnings for directives whose point no
    longer exists.
    """
    if plan is None:
        return []
    by_key = {p.key: p for p in points}
    warnings = []
    for s in plan.stops.all():
        p = by_key.get(s.key)
        if p is None:
            if s.pinned or s.locked:
                warnings.append(f"{s.name}: no longer active on {plan.day:%Y-%m-%d}; dropped")
            continue
        if s.removed:
            p.removed = True
            continue
        if s.done_at is not None:
            # Done already: it needs no place in the rest of the route.
            p.done = True
            continue
        if s.pinned:
            p.pinned = True
            p.must_visit = True
            p.reason = "pinned"
        if s.locked and s.start_at is not None:
            t = timezone.localtime(s.start_at)
            # To the second, so the stop keeps exactly its time.
            at = t.hour * 60 + t.minute + t.second / 60
            p.locked = True
            p.locked_officer = plan.officer_id
            p.must_visit = True
            p.windows = [(at, at + LOCK_SLACK_MINUTES)]
            p.reason = "locked"
    return warnings


def windows_text(p: PointInput) -> list[list[str]]:
    from sejuk.patrol.planning import hhmm

    return [[hhmm(a), hhmm(b)] for a, b in p.windows]


def windows_from_text(rows: list[list[str]]) -> list[tuple[int, int]]:
    return [(parse_hhmm(a), parse_hhmm(b)) for a, b in rows]

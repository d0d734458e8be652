"""Coverage analysis: what share of the risk-weighted titik rawan was covered, which
points were neglected, and the plans compared with what was actually done.

Definitions (docs/patrol.md):

* a point's **weight** is its risk (``prize.risk_of``: the vulnerability level, scaled
  by the kelurahan's risk index of the period's last day when there is one), without
  staleness;
* a point is **covered** on a day when the field log has a visit to it whose check-in
  falls on that day in Asia/Jakarta; in a period when it is covered on any day of it;
* the **covered share** of a day or period is the covered weight over the weight of the
  points active then (a point is active on a day inside its active period; in a period
  when active on at least one of its days);
* a point is **neglected** at the end of a period when it is active on the last day and
  had no visit in the last N days (N = the revisit period, default 7), or never;
* a planned stop is **done** when the field log has a visit by the plan's officer to its
  titik on the plan's day (or the stop was marked done); a visit by that officer to a
  point that was not a routed stop of their plan that day is **unplanned**.

Everything is computed from a few grouped queries, never one query per point.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from sejuk.fieldwork.models import TitikRawan, Visit, Vulnerability
from sejuk.patrol import prize
from sejuk.patrol.gather import kelurahan_risk_scores
from sejuk.patrol.models import PatrolPlan, PlanStop

MAX_DAYS = 62
MAX_REVISIT_DAYS = 60
#: Reports start on a day in this range (far outside it the date arithmetic overflows).
FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(2999, 12, 31)


class PeriodError(ValueError):
    """A period that cannot be reported: its message is meant for the user."""


@dataclass
class PeriodCoverage:
    start: dt.date
    end: dt.date  # inclusive
    points: int
    covered: int
    weight_total: float
    weight_covered: float

    @property
    def share(self) -> float | None:
        return self.weight_covered / self.weight_total if self.weight_total else None

    @property
    def share_unweighted(self) -> float | None:
        return self.covered / self.points if self.points else None

    def as_dict(self) -> dict:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "points": self.points,
            "covered": self.covered,
            "weight_total": round(self.weight_total, 4),
            "weight_covered": round(self.weight_covered, 4),
            "share": None if self.share is None else round(self.share, 4),
            "share_unweighted": None
            if self.share_unweighted is None
            else round(self.share_unweighted, 4),
        }


@dataclass
class NeglectedPoint:
    titik_id: int
    name: str
    kelurahan_id: str
    vulnerability: str
    weight: float
    last_visit: dt.date | None
    days_since: int | None

    @property
    def vulnerability_label(self) -> str:
        return str(Vulnerability(self.vulnerability).label)

    def as_dict(self) -> dict:
        return {
            "titik_id": self.titik_id,
            "name": self.name,
            "kelurahan": self.kelurahan_id,
            "vulnerability": self.vulnerability,
            "weight": round(self.weight, 4),
            "last_visit": self.last_visit.isoformat() if self.last_visit else None,
            "days_since": self.days_since,
        }


@dataclass
class PlanComparison:
    plan_id: int
    officer_id: int
    officer: str
    day: dt.date
    planned: int
    done: int
    prize_planned: float
    prize_done: float
    unplanned_titik: list[int] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)

    @property
    def completion(self) -> float | None:
        return self.done / self.planned if self.planned else None

    def as_dict(self) -> dict:
        return {
            "plan_id": self.plan_id,
            "officer_id": self.officer_id,
            "officer": self.officer,
            "day": self.day.isoformat(),
            "planned": self.planned,
            "done": self.done,
            "completion": None if self.completion is None else round(self.completion, 4),
            "prize_planned": round(self.prize_planned, 4),
            "prize_done": round(self.prize_done, 4),
            "unplanned_visits": len(self.unplanned_titik),
            "unplanned_titik": self.unplanned_titik,
            "missed": self.missed,
        }


@dataclass
class CoverageReport:
    start: dt.date
    days: int
    revisit_days: int
    per_day: list[PeriodCoverage]
    period: PeriodCoverage
    neglected: list[NeglectedPoint]
    plans: list[PlanComparison]

    @property
    def end(self) -> dt.date:
        return self.start + dt.timedelta(days=self.days - 1)

    def plans_total(self) -> dict:
        planned = sum(p.planned for p in self.plans)
        done = sum(p.done for p in self.plans)
        return {
            "plans": len(self.plans),
            "planned": planned,
            "done": done,
            "completion": round(done / planned, 4) if planned else None,
            "prize_planned": round(sum(p.prize_planned for p in self.plans), 4),
            "prize_done": round(sum(p.prize_done for p in self.plans), 4),
            "unplanned_visits": sum(len(p.unplanned_titik) for p in self.plans),
        }

    def as_dict(self) -> dict:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "days": self.days,
            "revisit_days": self.revisit_days,
            "per_day": [d.as_dict() for d in self.per_day],
            "period": self.period.as_dict(),
            "neglected": [n.as_dict() for n in self.neglected],
            "plans": [p.as_dict() for p in self.plans],
            "plans_total": self.plans_total(),
        }


def _local_day(value: dt.datetime) -> dt.date:
    return timezone.localtime(value).date()


def _active(t: TitikRawan, day: dt.date) -> bool:
    return t.is_active_on(day)


def coverage_report(
    titik: QuerySet[TitikRawan],
    plans: QuerySet[PatrolPlan],
    start: dt.date,
    days: int = 7,
    *,
    revisit_days: int = prize.DEFAULT_REVISIT_DAYS,
    kelurahan_scores: dict[str, float] | None = None,
) -> CoverageReport:
    """Coverage of ``titik`` (already scoped) from ``start`` for ``days`` days, and the
    ``plans`` (already scoped) of those days against the field log."""
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be between 1 and {MAX_DAYS}, not {days}")
    if not 1 <= revisit_days <= MAX_REVISIT_DAYS:
        raise ValueError(
            f"revisit_days must be between 1 and {MAX_REVISIT_DAYS}, not {revisit_days}"
        )
    if not FIRST_DAY <= start <= LAST_DAY:
        raise PeriodError(
            _("The period must start between %(first)s and %(last)s.")
            % {"first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()}
        )
    end = start + dt.timedelta(days=days - 1)
    dates = [start + dt.timedelta(days=i) for i in range(days)]
    points = list(
        titik.only(
            "pk", "name", "kelurahan_id", "vulnerability", "category", "active_from", "active_until"
        ).order_by("pk")
    )
    if kelurahan_scores is None:
        # The risk index of the period's last day, where there is one.
        kelurahan_scores = kelurahan_risk_scores({t.kelurahan_id for t in points}, end)
    scores = kelurahan_scores
    weight = {t.pk: prize.risk_of(t.vulnerability, scores.get(t.kelurahan_id)) for t in points}
    ids = [t.pk for t in points]

    # Visits from the start of the neglect window (or the period) to the end of the period,
    # bounded in UTC a day wider on each side and then cut by local date.
    look_from = min(start, end - dt.timedelta(days=revisit_days - 1))
    tz = timezone.get_default_timezone()
    lo = dt.datetime.combine(look_from, dt.time.min, tzinfo=tz)
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    visited: dict[int, set[dt.date]] = defaultdict(set)
    for titik_id, at in (
        Visit.objects.filter(titik_id__in=ids, checkin_at__gte=lo, checkin_at__lt=hi)
        .values_list("titik_id", "checkin_at")
        .iterator(chunk_size=2000)
    ):
        visited[titik_id].add(_local_day(at))
    # The last visit before the window, for "days since" of neglected points.
    last_before: dict[int, dt.datetime] = {}
    for row in (
        Visit.objects.filter(titik_id__in=ids, checkin_at__lt=hi)
        .values("titik_id")
        .annotate(last=Max("checkin_at"))
        .order_by()
    ):
        last_before[row["titik_id"]] = row["last"]

    per_day = []
    for d in dates:
        active = [t for t in points if _active(t, d)]
        covered = [t for t in active if d in visited.get(t.pk, ())]
        per_day.append(
            PeriodCoverage(
                start=d,
                end=d,
                points=len(active),
                covered=len(covered),
                weight_total=sum(weight[t.pk] for t in active),
                weight_covered=sum(weight[t.pk] for t in covered),
            )
        )
    period_active = [t for t in points if any(_active(t, d) for d in dates)]
    period_covered = [
        t for t in period_active if any(d in visited.get(t.pk, ()) and _active(t, d) for d in dates)
    ]
    period = PeriodCoverage(
        start=start,
        end=end,
        points=len(period_active),
        covered=len(period_covered),
        weight_total=sum(weight[t.pk] for t in period_active),
        weight_covered=sum(weight[t.pk] for t in period_covered),
    )

    window_start = end - dt.timedelta(days=revisit_days - 1)
    neglected = []
    for t in points:
        if not _active(t, end):
            continue
        recent = any(window_start <= d <= end for d in visited.get(t.pk, ()))
        if recent:
            continue
        last = last_before.get(t.pk)
        last_day = _local_day(last) if last else None
        neglected.append(
            NeglectedPoint(
                titik_id=t.pk,
                name=t.name,
                kelurahan_id=t.kelurahan_id,
                vulnerability=t.vulnerability,
                weight=weight[t.pk],
                last_visit=last_day,
                days_since=(end - last_day).days if last_day else None,
            )
        )
    # Heaviest first, then the longest neglected (never visited before any date).
    neglected.sort(
        key=lambda n: (-n.weight, -(n.days_since if n.days_since is not None else 10**6), n.name)
    )

    comparisons = _compare_plans(plans.filter(day__gte=start, day__lte=end), start, end)
    return CoverageReport(
        start=start,
        days=days,
        revisit_days=revisit_days,
        per_day=per_day,
        period=period,
        neglected=neglected,
        plans=comparisons,
    )


def _compare_plans(
    plans: QuerySet[PatrolPlan], start: dt.date, end: dt.date
) -> list[PlanComparison]:
    plan_rows = list(plans.select_related("officer").order_by("day", "officer__name", "pk"))
    if not plan_rows:
        return []
    stops: dict[int, list[PlanStop]] = defaultdict(list)
    for s in PlanStop.objects.filter(plan__in=[p.pk for p in plan_rows]).only(
        "plan_id", "titik_id", "event_id", "name", "sequence", "prize", "done_at", "removed"
    ):
        stops[s.plan_id].append(s)
    tz = timezone.get_default_timezone()
    lo = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    # Visits per (officer, local day) and per (titik, local day).
    by_officer_day: dict[tuple[int, dt.date], set[int]] = defaultdict(set)
    officer_ids = {p.officer_id for p in plan_rows}
    for titik_id, at, officer_id in (
        Visit.objects.filter(checkin_at__gte=lo, checkin_at__lt=hi)
        .filter(activity__officers__in=officer_ids)
        .values_list("titik_id", "checkin_at", "activity__officers")
        .iterator(chunk_size=2000)
    ):
        day = _local_day(at)
        by_officer_day[(officer_id, day)].add(titik_id)
    out = []
    for p in plan_rows:
        routed = [s for s in stops[p.pk] if s.sequence is not None]
        routed_titik = {s.titik_id for s in routed if s.titik_id}
        logged = by_officer_day.get((p.officer_id, p.day), set())
        done = [s for s in routed if s.done_at is not None or s.titik_id in logged]
        unplanned = sorted(logged - routed_titik)
        done_ids = {s.pk for s in done}
        out.append(
            PlanComparison(
                plan_id=p.pk,
                officer_id=p.officer_id,
                officer=str(p.officer),
                day=p.day,
                planned=len(routed),
                done=len(done),
                prize_planned=sum(s.prize for s in routed),
                prize_done=sum(s.prize for s in done),
                unplanned_titik=unplanned,
                missed=[
                    s.name for s in sorted(routed, key=lambda s: s.sequence) if s.pk not in done_ids
                ],
            )
        )
    return out

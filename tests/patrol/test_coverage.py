"""Coverage figures on a hand-made week (Monday 11 - Sunday 17 November 2024).

Galur: A tinggi (weight 3), B sedang (2), C rendah (1), D sedang (2) active until
Tuesday 12 Nov; Tanah Tinggi: E sedang (2).

Visits: A Monday 00:30 WIB (Sunday in UTC) and Wednesday; B Wednesday; C Sunday 10
Nov 23:30 WIB (before the week, Sunday in UTC too); D Monday; E Friday.
Plans of the Galur officer: Monday A, B, C; Wednesday A, B.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from sejuk.fieldwork.models import Activity, ActivityKind, TitikCategory, TitikRawan, Visit
from sejuk.patrol.coverage import PeriodError, coverage_report
from sejuk.patrol.models import PatrolPlan, PlanSource, PlanStop

from .conftest import GALUR, TANAH_TINGGI, WIB, officer_of

MON = dt.date(2024, 11, 11)


def titik(name: str, level: str, kode: str = GALUR, **kw) -> TitikRawan:
    return TitikRawan.objects.create(
        name=name,
        category=TitikCategory.CROWD,
        kelurahan_id=kode,
        lat=-6.1762,
        lon=106.8554,
        vulnerability=level,
        **kw,
    )


def visit(t: TitikRawan, at: dt.datetime) -> Visit:
    a = Activity.objects.create(
        kind=ActivityKind.PATROL, started_at=at, kelurahan_id=t.kelurahan_id
    )
    a.officers.set([officer_of(t.kelurahan_id)])
    return Visit.objects.create(activity=a, titik=t, checkin_at=at)


def plan(day: dt.date, stops: list[TitikRawan]) -> PatrolPlan:
    p = PatrolPlan.objects.create(
        officer=officer_of(GALUR),
        day=day,
        kelurahan_id=GALUR,
        start_lat=-6.176,
        start_lon=106.855,
        end_lat=-6.176,
        end_lon=106.855,
        source=PlanSource.ON_DEMAND,
    )
    for i, t in enumerate(stops, start=1):
        PlanStop.objects.create(
            plan=p,
            titik=t,
            name=t.name,
            lat=t.lat,
            lon=t.lon,
            sequence=i,
            prize={"tinggi": 3, "sedang": 2, "rendah": 1}[t.vulnerability],
        )
    return p


@pytest.fixture
def week(db):
    pts = {
        "A": titik("A Lapangan", "tinggi"),
        "B": titik("B Pos Ronda", "sedang"),
        "C": titik("C Masjid", "rendah"),
        "D": titik("D Posko", "sedang", active_until=dt.date(2024, 11, 12)),
        "E": titik("E Pasar", "sedang", kode=TANAH_TINGGI),
    }
    visit(pts["A"], dt.datetime(2024, 11, 11, 0, 30, tzinfo=WIB))
    visit(pts["A"], dt.datetime(2024, 11, 13, 10, 0, tzinfo=WIB))
    visit(pts["B"], dt.datetime(2024, 11, 13, 11, 0, tzinfo=WIB))
    visit(pts["C"], dt.datetime(2024, 11, 10, 23, 30, tzinfo=WIB))
    visit(pts["D"], dt.datetime(2024, 11, 11, 9, 0, tzinfo=WIB))
    visit(pts["E"], dt.datetime(2024, 11, 15, 16, 0, tzinfo=WIB))
    plans = {
        "mon": plan(MON, [pts["A"], pts["B"], pts["C"]]),
        "wed": plan(MON + dt.timedelta(days=2), [pts["A"], pts["B"]]),
    }
    return pts, plans


def report(days: int = 7, revisit: int = 7, start: dt.date = MON):
    ids = [t.pk for t in TitikRawan.objects.filter(name__regex=r"^[A-E] ")]
    return coverage_report(
        TitikRawan.objects.filter(pk__in=ids), PatrolPlan.objects.all(), start, days,
        revisit_days=revisit,
    )  # fmt: skip


def test_daily_shares_weigh_points_by_risk(week):
    r = report()
    shares = [(d.start.day, d.weight_covered, d.weight_total) for d in r.per_day]
    assert shares == [
        (11, 5, 10),  # A (the 00:30 WIB visit counts for Monday) and D
        (12, 0, 10),
        (13, 5, 8),  # D no longer active; A and B
        (14, 0, 8),
        (15, 2, 8),  # E
        (16, 0, 8),
        (17, 0, 8),
    ]
    assert r.per_day[0].share == 0.5
    assert r.per_day[2].share == 0.625
    assert [d.covered for d in r.per_day] == [2, 0, 2, 0, 1, 0, 0]


def test_week_share_counts_each_point_once(week):
    r = report()
    assert (r.period.points, r.period.covered) == (5, 4)
    assert r.period.weight_total == 10
    assert r.period.weight_covered == 9  # everyone but C
    assert r.period.share == 0.9
    assert r.period.share_unweighted == 0.8


def test_neglected_points_heaviest_first(week):
    pts, _ = week
    r = report()
    assert [(n.name, n.last_visit, n.days_since) for n in r.neglected] == [
        ("C Masjid", dt.date(2024, 11, 10), 7),
    ]
    # With a 3-day rhythm A and B (last seen Wednesday) are neglected too; D is inactive.
    r3 = report(revisit=3)
    assert [(n.titik_id, n.weight, n.days_since) for n in r3.neglected] == [
        (pts["A"].pk, 3.0, 4),
        (pts["B"].pk, 2.0, 4),
        (pts["C"].pk, 1.0, 7),
    ]


def test_plans_compared_with_the_field_log(week):
    pts, plans = week
    r = report()
    by_day = {p.day: p for p in r.plans}
    mon = by_day[MON]
    assert (mon.planned, mon.done) == (3, 1)
    assert mon.prize_planned == 6 and mon.prize_done == 3
    assert mon.unplanned_titik == [pts["D"].pk]  # visited Monday, not in the plan
    assert mon.missed == ["B Pos Ronda", "C Masjid"]
    wed = by_day[MON + dt.timedelta(days=2)]
    assert (wed.planned, wed.done, wed.unplanned_titik) == (2, 2, [])
    assert r.plans_total() == {
        "plans": 2,
        "planned": 5,
        "done": 3,
        "completion": 0.6,
        "prize_planned": 11,
        "prize_done": 8,
        "unplanned_visits": 1,
    }


def test_a_visit_logged_after_planning_marks_the_stop_done(week):
    pts, _ = week
    later = plan(dt.date(2024, 11, 16), [pts["C"]])
    v = visit(pts["C"], dt.datetime(2024, 11, 16, 9, 0, tzinfo=WIB))
    stop = later.stops.get()
    assert stop.visit_id == v.pk and stop.activity_id == v.activity_id
    assert stop.done_at == v.checkin_at
    # ...and the report counts it, and no longer lists C as neglected.
    r = report()
    assert {p.day: p.done for p in r.plans}[dt.date(2024, 11, 16)] == 1
    assert r.neglected == []


def test_a_single_day_and_an_empty_scope(week):
    r = report(days=1, start=dt.date(2024, 11, 13))
    assert r.period.share == 0.625 and len(r.per_day) == 1
    empty = coverage_report(TitikRawan.objects.none(), PatrolPlan.objects.none(), MON, 7)
    assert empty.period.share is None and empty.neglected == [] and empty.plans == []


def test_bad_periods_are_refused(db):
    with pytest.raises(ValueError, match="days must be between"):
        coverage_report(TitikRawan.objects.none(), PatrolPlan.objects.none(), MON, 0)
    with pytest.raises(ValueError, match="revisit_days"):
        coverage_report(
            TitikRawan.objects.none(), PatrolPlan.objects.none(), MON, 7, revisit_days=0
        )
    with pytest.raises(ValueError, match="revisit_days"):
        coverage_report(
            TitikRawan.objects.none(), PatrolPlan.objects.none(), MON, 7, revisit_days=61
        )
    with pytest.raises(PeriodError):
        coverage_report(TitikRawan.objects.none(), PatrolPlan.objects.none(), dt.date.max, 1)


@pytest.mark.parametrize("start", ["9999-12-30", "0001-01-01"])
def test_a_start_day_out_of_range_is_a_clear_error_not_a_500(db, kapolsek_jb, client_for, start):
    c = client_for(kapolsek_jb)
    r = c.get("/api/v1/patrol/coverage", {"start": start, "days": 7, "revisit_days": 60})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "start"]
    # The page ignores the bad filter (like every invalid filter) and shows the default.
    page = c.get("/patrol/coverage/", {"start": start, "days": 7, "revisit": 60})
    assert page.status_code == 200
    with pytest.raises(CommandError, match="1900-01-01"):
        call_command("patrol", "coverage", "--start", start)
    with pytest.raises(CommandError, match="--revisit-days"):
        call_command("patrol", "coverage", "--revisit-days", "100000000000")

"""Computing the index from the other apps' records: signals, storage, rollups, trend."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from sejuk.accounts.models import AuditEntry
from sejuk.fieldwork.models import (
    Activity,
    ActivityKind,
    ComplaintStatus,
    FieldComplaint,
    TitikCategory,
    TitikRawan,
    Visit,
)
from sejuk.monitoring.models import Post
from sejuk.reports.models import Report
from sejuk.risk.actions import RiskError, compute_index, resolve_scope
from sejuk.risk.models import DailyRisk, RiskRollup
from sejuk.territory.models import Officer

from .conftest import (
    GALUR,
    GAMBIR_KEL,
    JOHAR_BARU,
    NOW,
    TANAH_TINGGI,
    TODAY,
    assessment,
    at,
    incident,
    report,
)


def compute(day=TODAY, scope=(JOHAR_BARU,), **kw):
    kw.setdefault("forecast", False)
    return compute_index(day, scope, **kw)


def row(kode=GALUR, day=TODAY) -> DailyRisk:
    return DailyRisk.objects.get(kelurahan_id=kode, date=day)


def sig(spec, code: str, x: float) -> float:
    s = next(s for s in spec.signals if s.code == code)
    return s.weight * (1 - math.exp(-x / s.scale))


def test_an_incident_today_scores_exactly_as_the_formula_says(db, now, spec):
    incident(severity=2)  # weight 2 in the shipped definition
    result = compute()
    assert result.kelurahan == 4
    r = row()
    assert r.phase == "voting"
    assert r.inputs["signals"] == {"incidents": 2.0}
    assert r.inputs["counts"] == {"incidents": 1}
    base = sig(spec, "incidents", 2.0)
    assert r.contributions["incidents"] == pytest.approx(base, abs=1e-4)
    assert r.calendar_points == pytest.approx(0.4 * base, abs=1e-4)  # voting day x1.4
    assert r.score == pytest.approx(sum(r.contributions.values()), abs=1e-9)
    assert not r.assessed and r.static_points == 0
    # The other kelurahan of the kecamatan are stored with zero.
    assert row(TANAH_TINGGI).score == 0 and row(TANAH_TINGGI).level == "rendah"


def test_events_decay_with_age_and_leave_the_14_day_window(db, now, spec):
    incident(when=at(TODAY - dt.timedelta(days=4)))  # half weight
    incident(when=at(TODAY - dt.timedelta(days=13)))  # still in
    incident(when=at(TODAY - dt.timedelta(days=14)))  # out
    incident(when=at(TODAY - dt.timedelta(days=20)))
    compute()
    r = row()
    assert r.inputs["counts"]["incidents"] == 2
    assert r.inputs["signals"]["incidents"] == pytest.approx(0.5 + 0.5 ** (13 / 4), abs=1e-4)


def test_reports_count_by_verification_and_category_and_merged_copies_do_not(db, now, spec):
    report("verified", "crowd")  # 1.0 x 1.5
    report("received", "other")  # 0.3 x 0.5
    report("rejected", "crowd")  # 0
    case = report("verified", "vandalism")  # 1.0 x 0.8
    copy = report("verified", "vandalism")
    Report.objects.filter(pk=copy.pk).update(merged_into=case)
    compute()
    r = row()
    assert r.inputs["signals"]["reports"] == pytest.approx(1.5 + 0.15 + 0.8, abs=1e-4)
    assert r.inputs["counts"]["reports"] == 4  # the merged copy is not counted


def test_complaints_titik_rawan_and_coverage_gaps(db, now, spec):
    officer = Officer.objects.get(kelurahan__kode=GALUR, position="Bhabinkamtibmas")
    FieldComplaint.objects.create(
        kelurahan_id=GALUR,
        summary="Lampu jalan mati",
        owner=officer,
        due_date=TODAY,
        created_at=NOW,
    )
    FieldComplaint.objects.create(
        kelurahan_id=GALUR,
        summary="Parkir liar",
        owner=officer,
        due_date=TODAY,
        created_at=NOW,
        status=ComplaintStatus.RESOLVED,
    )

    def titik(name, vulnerability, **kw):
        return TitikRawan.objects.create(
            name=name,
            kelurahan_id=GALUR,
            lat=-6.1762,
            lon=106.8554,
            category=TitikCategory.CROWD,
            vulnerability=vulnerability,
            **kw,
        )

    visited_today = titik("A", "tinggi")
    visited_7_days_ago = titik("B", "sedang")
    titik("C never", "rendah")
    titik("D ended", "tinggi", active_until=TODAY - dt.timedelta(days=1))
    for t, days in ((visited_today, 0), (visited_7_days_ago, 7)):
        when = NOW - dt.timedelta(days=days)
        a = Activity.objects.create(kind=ActivityKind.PATROL, started_at=when, kelurahan_id=GALUR)
        Visit.objects.create(activity=a, titik=t, checkin_at=when)
    compute()
    r = row()
    assert r.inputs["signals"]["complaints"] == pytest.approx(1.5)  # open 1 + resolved 0.5
    assert r.inputs["signals"]["titik_rawan"] == 3 + 2 + 1  # D is no longer active
    # Gap: A 0 days, B 7 of 14 days, C never visited (full).
    assert r.inputs["signals"]["coverage_gap"] == pytest.approx(2 * 7 / 14 + 1 * 1.0)
    assert r.inputs["counts"]["titik_rawan"] == 3
    assert r.inputs["counts"]["coverage_gap"] == 1  # C: no visit in the last 14 days


def test_social_media_provocation_and_sara_from_monitoring(db, now, spec):
    def post(n, **kw):
        return Post.objects.create(
            platform="x",
            external_id=f"p{n}",
            author="a",
            text="t",
            posted_at=NOW,
            text_hash=f"h{n}",
            kelurahan_id=GALUR,
            area_kode=GALUR,
            **kw,
        )

    post(1, provocative=True)
    post(2, provocative=True, sara=True)
    post(3, sara=True, counted=False)  # the author's own repost adds nothing
    post(4)  # neither
    compute()
    r = row()
    assert r.inputs["signals"]["provocation"] == 2
    assert r.inputs["signals"]["sara"] == 1


def test_the_newest_assessment_whose_period_covers_the_day_counts(db, now, spec):
    assessment(spec, value=1)
    newer = assessment(spec, value=3)
    future = assessment(
        spec,
        value=0,
        period_start=TODAY + dt.timedelta(days=1),
        period_end=TODAY + dt.timedelta(days=30),
    )
    compute()
    r = row()
    assert r.assessed
    assert r.inputs["assessment"] == newer.pk
    assert r.static_points == pytest.approx(sum(d.weight for d in spec.dimensions), abs=1e-3)
    compute(day=TODAY + dt.timedelta(days=1))
    assert row(day=TODAY + dt.timedelta(days=1)).inputs["assessment"] == future.pk
    future.delete()
    # Carried forward within assessment_carry_days after the period ends.
    later = dt.date(2024, 12, 16) + dt.timedelta(days=spec.assessment_carry_days)
    compute(day=later)
    assert row(day=later).assessed
    compute(day=later + dt.timedelta(days=1))
    assert not row(day=later + dt.timedelta(days=1)).assessed


def test_recomputing_a_day_replaces_its_rows(db, now, spec):
    compute()
    first = row().score
    incident(severity=3)
    compute()
    assert DailyRisk.objects.filter(date=TODAY, kelurahan_id=GALUR).count() == 1
    assert row().score > first
    assert DailyRisk.objects.filter(date=TODAY).count() == 4
    assert AuditEntry.objects.filter(object_type="risk.dailyrisk", action="import").count() == 2


def test_rollups_take_the_maximum_and_keep_the_mean_and_the_counts(db, now, spec):
    assessment(spec, value=3)  # Galur: high
    incident(TANAH_TINGGI, severity=1)
    compute()
    scores = dict(
        DailyRisk.objects.filter(date=TODAY, kelurahan__parent_id=JOHAR_BARU).values_list(
            "kelurahan_id", "score"
        )
    )
    kec = RiskRollup.objects.get(date=TODAY, kind="kecamatan", code=JOHAR_BARU)
    assert kec.score == max(scores.values())
    assert kec.top_kelurahan_id == GALUR
    assert kec.mean == pytest.approx(sum(scores.values()) / 4, abs=1e-3)
    assert kec.n_kelurahan == 4
    assert kec.n_tinggi + kec.n_sedang + kec.n_rendah == 4
    assert kec.level == row(GALUR).level == spec.level_of(kec.score) == "sedang"  # 26 x 1.4
    polsek = RiskRollup.objects.get(date=TODAY, kind="polsek", code="polsek-johar-baru")
    assert polsek.score == kec.score and polsek.n_kelurahan == 4
    # The Polres and the kota include Gambir's kelurahan only once they are computed.
    polres = RiskRollup.objects.get(date=TODAY, kind="polres", code="polres-metro-jakarta-pusat")
    assert polres.n_kelurahan == 4
    compute(scope=("31.71.01",))
    polres.refresh_from_db()
    assert (
        polres.n_kelurahan
        == 4 + DailyRisk.objects.filter(date=TODAY, kelurahan__parent_id="31.71.01").count()
    )
    assert polres.score == kec.score


def test_the_trend_is_the_slope_over_seven_days(db, now, spec):
    for back, severity in ((6, 1), (3, 2), (0, 3)):
        incident(when=at(TODAY - dt.timedelta(days=back)), severity=severity)
    for back in (6, 5, 4, 3, 2, 1):
        compute(day=TODAY - dt.timedelta(days=back))
    compute()
    days = [TODAY - dt.timedelta(days=b) for b in range(6, -1, -1)]
    scores = [row(day=d).score for d in days]
    mean_x = 3.0
    slope = sum((i - mean_x) * (s - sum(scores) / 7) for i, s in enumerate(scores)) / sum(
        (i - mean_x) ** 2 for i in range(7)
    )
    assert row().trend == pytest.approx(slope, abs=1e-3)
    assert row().trend > 0
    assert row(day=days[0]).trend is None  # nothing stored before it


def test_scopes_resolve_to_prefixes_with_clear_errors(db):
    assert resolve_scope("31.71.08,31.71.08.1003") == ("31.71.08",)
    assert resolve_scope("all") is None
    # Default: the territory of the police units (the demo Polda covers DKI Jakarta).
    assert resolve_scope(None) == ("31",)
    with pytest.raises(RiskError, match="not a kode wilayah"):
        resolve_scope("jakarta")
    with pytest.raises(RiskError, match="no wilayah 99.99"):
        resolve_scope("99.99")


def test_outside_the_scope_nothing_is_written(db, now):
    compute()
    assert not DailyRisk.objects.filter(kelurahan_id=GAMBIR_KEL).exists()

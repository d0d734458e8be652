"""The index arithmetic (sejuk.analytics.riskindex), without Django.

Property tests (Hypothesis, derandomised) on the shipped definition: every
score is in [0, 100], raising any one signal or answer (or moving to a more
intense election phase) never lowers it, and the contributions add up to
the score. Then the helpers against brute-force reference implementations.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from sejuk.analytics.riskindex import (
    LEVELS,
    PHASES,
    IndexInputError,
    IndexInputs,
    IndexSpec,
    RiskIndex,
    SpecError,
    aggregate_events,
    levels_of,
    rollup,
    round_preserving_sum,
    trend_slope,
)

SPEC_FILE = Path(__file__).resolve().parents[2] / "sejuk/risk/data/indicators/ikp-ipkp-2024.1.json"
SPEC = IndexSpec.load(SPEC_FILE)
N_IND = len(SPEC.indicators)
N_SIG = len(SPEC.signals)
A_MAX = SPEC.max_answer
PROPS = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

answers_st = st.lists(
    st.one_of(st.none(), st.integers(0, A_MAX)), min_size=N_IND, max_size=N_IND
).map(lambda xs: [math.nan if x is None else float(x) for x in xs])
signals_st = st.lists(
    st.floats(0, 1e6, allow_nan=False, allow_infinity=False), min_size=N_SIG, max_size=N_SIG
)
phase_st = st.sampled_from(PHASES)


def score_one(answers, signals, phase) -> tuple[float, np.ndarray]:
    result = RiskIndex(SPEC).score(IndexInputs(np.array([answers]), np.array([signals]), phase))
    return float(result.score[0]), result.contributions[0]


# --- the definition file --------------------------------------------------------------


def test_the_shipped_definition_is_valid_and_bounded():
    assert SPEC.version == "ikp-ipkp-2024.1"
    assert [d.code for d in SPEC.dimensions] == [
        "social_political",
        "administration",
        "contestation",
        "participation",
    ]
    assert {s.code for s in SPEC.stages} == {"potensi", "ambang", "nyata"}
    assert SPEC.max_score <= 100
    assert SPEC.components[-1] == "calendar"
    assert len(SPEC.components) == N_IND + N_SIG + 1
    # Indicator points within a dimension add up to the dimension's weight.
    points = SPEC.indicator_points()
    for d in SPEC.dimensions:
        assert sum(points[i.code] for i in d.indicators) == pytest.approx(d.weight)


def test_the_highest_inputs_reach_the_maximum_score():
    score, _ = score_one([A_MAX] * N_IND, [1e9] * N_SIG, "voting")
    assert score == pytest.approx(SPEC.max_score)
    assert score <= 100


def test_nothing_at_all_scores_zero():
    score, contributions = score_one([math.nan] * N_IND, [0.0] * N_SIG, "voting")
    assert score == 0
    assert not contributions.any()


def _spec_dict() -> dict:
    return json.loads(SPEC_FILE.read_text(encoding="utf-8"))


def test_weights_that_could_exceed_100_are_refused():
    data = _spec_dict()
    data["signals"][0]["weight"] = 40
    with pytest.raises(SpecError, match=r"could reach 1\d\d\.\d\d > 100"):
        IndexSpec.from_dict(data, source="x.json")


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["signals"][1].update(scale=0), r"x\.json: signals\[1\]\.scale: must be > 0"),
        (lambda d: d["signals"][0].update(stage="later"), r"signals\[0\]\.stage: 'later' is not"),
        (lambda d: d["calendar"].pop("voting"), r"calendar: missing phase\(s\) voting"),
        (lambda d: d["calendar"].update(quiet=0.5), r"calendar\.quiet: must be >= 1"),
        (lambda d: d["levels"].update(sedang=50), r"levels: need 0 < sedang < tinggi"),
        (
            lambda d: d["dimensions"][1]["indicators"][0].update(code="sp_sara_tension"),
            r"'sp_sara_tension' is used twice",
        ),
        (lambda d: d["dimensions"][0]["indicators"][0].pop("label"), r"indicators\[0\]: missing"),
        (lambda d: d.pop("version"), r"missing 'version'"),
        (lambda d: d["weights"]["report_status"].update(verified=-1), r"must be >= 0"),
    ],
)
def test_a_bad_definition_names_the_file_and_the_path(mutate, message):
    data = _spec_dict()
    mutate(data)
    with pytest.raises(SpecError, match=message):
        IndexSpec.from_dict(data, source="x.json")


def test_a_json_syntax_error_gives_file_line_and_column(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{\n  "version": "x",\n  "stages": [,]\n}\n', encoding="utf-8")
    with pytest.raises(SpecError, match=r"bad\.json:3:\d+: invalid JSON"):
        IndexSpec.load(bad)
    with pytest.raises(SpecError, match="cannot read"):
        IndexSpec.load(tmp_path / "missing.json")


def test_the_fingerprint_ignores_labels_but_not_weights():
    data = _spec_dict()
    data["signals"][0]["label"] = {"en": "renamed", "id": "diganti"}
    assert IndexSpec.from_dict(data).fingerprint() == SPEC.fingerprint()
    data["signals"][0]["weight"] = 11
    assert IndexSpec.from_dict(data).fingerprint() != SPEC.fingerprint()


# --- properties --------------------------------------------------------------------


@PROPS
@given(answers_st, signals_st, phase_st)
def test_every_score_is_between_0_and_100(answers, signals, phase):
    score, contributions = score_one(answers, signals, phase)
    assert 0.0 <= score <= 100.0
    assert (contributions >= 0).all()


@PROPS
@given(answers_st, signals_st, phase_st)
def test_the_contributions_add_up_to_the_score(answers, signals, phase):
    result = RiskIndex(SPEC).score(IndexInputs(np.array([answers]), np.array([signals]), phase))
    lines = result.explain(0)
    assert [c.code for c in lines] == list(SPEC.components)
    assert math.fsum(c.points for c in lines) == pytest.approx(result.score[0], abs=1e-9)
    # The calendar line is the multiplier's share of the rest.
    base = math.fsum(c.points for c in lines[:-1])
    assert lines[-1].points == pytest.approx((SPEC.calendar[phase] - 1) * base, abs=1e-9)
    stages = result.by_stage()
    assert math.fsum(float(v[0]) for v in stages.values()) == pytest.approx(
        result.score[0], abs=1e-9
    )


@PROPS
@given(
    answers_st,
    signals_st,
    phase_st,
    st.integers(0, N_SIG - 1),
    st.floats(1e-6, 1e4, allow_nan=False),
)
def test_raising_any_signal_never_lowers_the_score(answers, signals, phase, i, extra):
    before, _ = score_one(answers, signals, phase)
    more = list(signals)
    more[i] += extra
    after, _ = score_one(answers, more, phase)
    assert after >= before - 1e-12
    if signals[i] < 10 * SPEC.signals[i].scale and SPEC.signals[i].weight > 0 and extra > 1e-3:
        assert after > before  # strictly, before the signal saturates


@PROPS
@given(answers_st, signals_st, phase_st, st.integers(0, N_IND - 1))
def test_a_higher_answer_never_lowers_the_score(answers, signals, phase, i):
    base = [0.0 if math.isnan(a) else a for a in answers]
    if base[i] == A_MAX:
        base[i] = A_MAX - 1
    before, _ = score_one(base, signals, phase)
    higher = list(base)
    higher[i] += 1
    after, _ = score_one(higher, signals, phase)
    assert after > before


@PROPS
@given(answers_st, signals_st)
def test_a_more_intense_phase_never_lowers_the_score(answers, signals):
    scores = {p: score_one(answers, signals, p)[0] for p in PHASES}
    by_multiplier = sorted(PHASES, key=lambda p: SPEC.calendar[p])
    values = [scores[p] for p in by_multiplier]
    assert values == sorted(values)


@PROPS
@given(hnp.arrays(np.float64, st.integers(1, 30), elements=st.floats(0, 100)))
def test_levels_follow_the_thresholds(scores):
    levels = levels_of(scores, SPEC.thresholds)
    low, high = SPEC.thresholds
    for s, lv in zip(scores, levels, strict=True):
        assert LEVELS[lv] == SPEC.level_of(s)
        assert (lv == 2) == (s >= high) and (lv == 0) == (s < low)


def test_many_rows_score_like_one_row_each():
    rng = np.random.default_rng(7)
    answers = rng.integers(0, A_MAX + 1, size=(50, N_IND)).astype(float)
    answers[rng.random((50, N_IND)) < 0.2] = np.nan
    answers[:5] = np.nan
    signals = rng.exponential(3, size=(50, N_SIG))
    phases = rng.choice(PHASES, size=50)
    result = RiskIndex(SPEC).score(IndexInputs(answers, signals, phases))
    for i in range(50):
        one, _ = score_one(answers[i], signals[i], phases[i])
        assert result.score[i] == pytest.approx(one, abs=1e-12)
    assert not result.assessed[:5].any() and result.assessed[5:].all()


# --- input checks ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "signals", "phase", "message"),
    [
        (np.zeros((2, N_IND)), np.zeros((3, N_SIG)), "none", "differ in rows"),
        (np.zeros((1, N_IND - 1)), np.zeros((1, N_SIG)), "none", r"answers must have shape"),
        (np.full((1, N_IND), 4.0), np.zeros((1, N_SIG)), "none", r"outside 0\.\.3"),
        (np.zeros((1, N_IND)), -np.ones((1, N_SIG)), "none", "below 0"),
        (np.zeros((1, N_IND)), np.full((1, N_SIG), np.inf), "none", "not a finite number"),
        (np.zeros((1, N_IND)), np.zeros((1, N_SIG)), "halftime", "unknown phase 'halftime'"),
        (np.zeros((2, N_IND)), np.zeros((2, N_SIG)), ["voting"], "phase has 1 values"),
    ],
)
def test_bad_inputs_are_refused_with_a_reason(answers, signals, phase, message):
    with pytest.raises(IndexInputError, match=message):
        RiskIndex(SPEC).score(IndexInputs(answers, signals, phase))


# --- event aggregation -------------------------------------------------------------------


def test_event_aggregation_matches_a_plain_loop():
    rng = np.random.default_rng(3)
    m, n, k, as_of, window, half = 5000, 40, 5, 20_000, 14, 4.0
    kel = rng.integers(0, n, m)
    day = as_of - rng.integers(-3, 20, m)  # some in the future, some too old
    sig = rng.integers(0, k, m)
    w = rng.random(m) * 3
    got = aggregate_events(
        kel,
        day,
        sig,
        w,
        as_of=as_of,
        n_kelurahan=n,
        n_signals=k,
        window_days=window,
        half_life_days=half,
    )
    want = np.zeros((n, k))
    for i in range(m):
        age = as_of - day[i]
        if 0 <= age < window:
            want[kel[i], sig[i]] += w[i] * 0.5 ** (age / half)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_the_window_counts_today_and_excludes_its_far_end_and_the_future():
    def one(age: int) -> float:
        return aggregate_events(
            np.array([0]),
            np.array([100 - age]),
            np.array([0]),
            None,
            as_of=100,
            n_kelurahan=1,
            n_signals=1,
            window_days=14,
            half_life_days=4,
        )[0, 0]

    assert one(0) == 1.0
    assert one(4) == pytest.approx(0.5)
    assert one(13) == pytest.approx(0.5 ** (13 / 4))
    assert one(14) == 0.0
    assert one(-1) == 0.0


def test_aggregation_refuses_out_of_range_indices():
    with pytest.raises(IndexInputError, match="kelurahan index"):
        aggregate_events(
            np.array([3]),
            np.array([0]),
            np.array([0]),
            None,
            as_of=0,
            n_kelurahan=3,
            n_signals=1,
            window_days=1,
            half_life_days=1,
        )
    with pytest.raises(IndexInputError, match="weights must be finite"):
        aggregate_events(
            np.array([0]),
            np.array([0]),
            np.array([0]),
            np.array([-1.0]),
            as_of=0,
            n_kelurahan=1,
            n_signals=1,
            window_days=1,
            half_life_days=1,
        )


# --- trend, rounding, rollups ---------------------------------------------------------------


def test_trend_slope_matches_polyfit_and_skips_missing_days():
    rng = np.random.default_rng(5)
    hist = rng.random((30, 7)) * 50
    hist[rng.random((30, 7)) < 0.3] = np.nan
    hist[0] = np.nan
    hist[1, :] = np.nan
    hist[1, 3] = 10  # one point: no trend
    days = np.arange(-6, 1)
    got = trend_slope(hist, days)
    for i in range(30):
        ok = ~np.isnan(hist[i])
        if ok.sum() < 2:
            assert np.isnan(got[i])
        else:
            assert got[i] == pytest.approx(np.polyfit(days[ok], hist[i][ok], 1)[0], abs=1e-9)


@PROPS
@given(st.lists(st.floats(0, 60, allow_nan=False), min_size=1, max_size=25))
def test_shown_contributions_add_up_to_the_shown_score(values):
    shown = round_preserving_sum(values, 1)
    assert round(sum(shown), 1) == round(round(math.fsum(values) * 10) / 10, 1)
    assert all(abs(s - v) < 0.1 + 1e-9 for s, v in zip(shown, values, strict=True))


def test_rollups_match_a_plain_loop_with_overlapping_groups():
    rng = np.random.default_rng(11)
    n, g = 200, 12
    score = np.round(rng.random(n) * 80, 2)
    level = levels_of(score, SPEC.thresholds)
    pairs = {(int(rng.integers(n)), int(rng.integers(g - 1))) for _ in range(600)}
    member = np.array([p[0] for p in pairs])
    group = np.array([p[1] for p in pairs])
    got = rollup(score, level, member, group, g)
    for j in range(g):
        rows = sorted(i for i, gg in pairs if gg == j)
        assert got.count[j] == len(rows)
        if not rows:
            assert np.isnan(got.max[j]) and got.argmax[j] == -1
            continue
        best = max(score[rows])
        assert got.max[j] == best
        assert got.argmax[j] == min(i for i in rows if score[i] == best)
        assert got.mean[j] == pytest.approx(np.mean(score[rows]))
        assert list(got.per_level[j]) == [sum(level[i] == lv for i in rows) for lv in range(3)]

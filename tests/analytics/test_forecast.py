"""Tests of sejuk.analytics.forecast and ``sejuk forecast``.

Models are checked on tiny synthetic data with known answers (hand-computed
scores, simulated Hawkes processes with known parameters); the backtester on
the real incident files in ``$SEJUK_DATA_DIR/incidents``; the CSV reader and
the command on bad files. No database is used.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
from pathlib import Path

import h3
import numpy as np
import pytest
from django.core.management import CommandError, call_command

from sejuk.analytics.forecast import (
    CellEvents,
    DecayedCounts,
    Events,
    EventsFileError,
    ForecastError,
    GridETAS,
    H3Grid,
    HawkesBlend,
    KernelDensity,
    LongRunCounts,
    ProspectiveHotspot,
    ReadReport,
    SquareGrid,
    StudyArea,
    backtest,
    day_number,
    fit_and_rank,
    flagged_count,
    make_model,
    parse_date,
    parse_time,
    read_events_csv,
    top_cells,
    utm_crs_for,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = Path(os.environ.get("SEJUK_DATA_DIR", REPO_ROOT.parent / "shared" / "data"))
CHICAGO = DATA_DIR / "incidents" / "chicago_aggravated_assaults.csv.gz"
CINCINNATI = DATA_DIR / "incidents" / "cincinnati_burglary.csv.gz"

D2019 = day_number(dt.date(2019, 1, 1))


# -- synthetic helpers -----------------------------------------------------------------------


def line_area(n: int, cell_m: float = 250.0) -> StudyArea:
    """``n`` square cells side by side in one row (UTM 16N), indices in key order."""
    grid = SquareGrid(cell_m, crs="EPSG:32616").fit([], [])
    # Cell (i, j) has key (i + 2**29) * 2**31 + (j + 2**29); consecutive i are neighbours.
    i = np.arange(1000, 1000 + n)
    keys = (i + 2**29) * 2**31 + (4_600 + 2**29)
    return StudyArea(grid, keys)


def events_at(area: StudyArea, days: list[int], cells: list[int]) -> CellEvents:
    order = np.argsort(days, kind="stable")
    return CellEvents(area, np.asarray(days)[order], np.asarray(cells)[order])


def simulate_hawkes(
    mu: np.ndarray, theta: float, tau: float, days: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Daily counts of a per-cell discrete-time Hawkes process with a geometric kernel."""
    rng = np.random.default_rng(seed)
    q = np.exp(-1.0 / tau)
    excitation = np.zeros(len(mu))
    day_list, cell_list = [], []
    for t in range(days):
        k = rng.poisson(mu + theta * excitation)
        cells = np.repeat(np.arange(len(mu)), k)
        day_list.append(np.full(len(cells), t))
        cell_list.append(cells)
        excitation = excitation * q + (1 - q) * k
    return np.concatenate(day_list), np.concatenate(cell_list)


# -- parsing and reading ---------------------------------------------------------------------


def test_parse_time_accepts_iso_and_the_files_formats():
    assert parse_time("1970-01-02") == 1.0
    assert parse_time("2010-01-01 00:05") == pytest.approx(
        day_number(dt.date(2010, 1, 1)) + 5 / 1440
    )
    # The Cincinnati format: the clock time is taken as written, the Z is not applied.
    assert parse_time("2017-05-25T00:00:00Z") == day_number(dt.date(2017, 5, 25))
    assert parse_time("2017-05-25T23:30:00+07:00") == pytest.approx(
        day_number(dt.date(2017, 5, 25)) + 23.5 / 24
    )
    assert parse_time("01/31/2019 11:00:00 PM") == pytest.approx(
        day_number(dt.date(2019, 1, 31)) + 23 / 24
    )
    assert parse_time("01/31/2019 12:30 AM") == pytest.approx(
        day_number(dt.date(2019, 1, 31)) + 0.5 / 24
    )
    assert parse_date("2019-01-01") == D2019
    for bad in ("2019-13-01", "2019-02-30", "yesterday", "", "13/45/2019"):
        with pytest.raises(ValueError):
            parse_time(bad)


def write(tmp_path: Path, name: str, text: str, gz: bool = False) -> Path:
    path = tmp_path / name
    if gz:
        with gzip.open(path, "wt", encoding="utf-8") as f:
            f.write(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


GOOD = "id,when,lon,lat\n1,2019-01-01 10:00,-87.6,41.8\n2,2019-01-02,-87.61,41.81\n"


@pytest.mark.parametrize("gz", [False, True])
def test_it_reads_plain_and_gzip_csv(tmp_path, gz):
    path = write(tmp_path, "e.csv.gz" if gz else "e.csv", GOOD, gz=gz)
    events = read_events_csv(path, time_col="when", lon_col="lon", lat_col="lat")
    assert len(events) == 2
    assert events.day.tolist() == [D2019, D2019 + 1]
    assert events.lon.tolist() == [-87.6, -87.61]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("3,2019-13-01,-87.6,41.8", "line 4: bad date '2019-13-01' in column when"),
        ("3,,-87.6,41.8", "line 4: empty date in column when"),
        ("3,2019-01-03,east,41.8", "line 4: bad number 'east' in column lon"),
        ("3,2019-01-03,-87.6,91.5", "line 4: latitude '91.5' in column lat is outside [-90, 90]"),
        ("3,2019-01-03,-187.6,41.8", "line 4: longitude '-187.6' in column lon is outside"),
        ("3,2019-01-03,nan,41.8", "line 4: longitude 'nan'"),
        ("3,2019-01-03", "line 4: only 2 field(s), expected 4"),
    ],
)
def test_bad_rows_get_an_error_with_file_line_and_column(tmp_path, row, message):
    path = write(tmp_path, "bad.csv", GOOD + row + "\n")
    with pytest.raises(EventsFileError) as err:
        read_events_csv(
            path, time_col="when", lon_col="lon", lat_col="lat", drop_missing_location=False
        )
    assert str(err.value).startswith(str(path))
    assert message in str(err.value)


def test_a_missing_column_names_the_columns_present(tmp_path):
    path = write(tmp_path, "e.csv", GOOD)
    with pytest.raises(
        EventsFileError, match=r"missing latitude column 'latitude' \(columns: id, when, lon, lat\)"
    ):
        read_events_csv(path, time_col="when", lon_col="lon", lat_col="latitude")


def test_empty_and_missing_files_get_clear_errors(tmp_path):
    with pytest.raises(EventsFileError, match="empty file"):
        read_events_csv(write(tmp_path, "e.csv", ""), time_col="a", lon_col="b", lat_col="c")
    with pytest.raises(EventsFileError, match="cannot open"):
        read_events_csv(tmp_path / "nope.csv", time_col="a", lon_col="b", lat_col="c")
    with pytest.raises(EventsFileError, match="no usable rows"):
        read_events_csv(
            write(tmp_path, "h.csv", "when,lon,lat\n"),
            time_col="when",
            lon_col="lon",
            lat_col="lat",
        )


def test_ungeocoded_rows_are_dropped_and_counted_and_bad_rows_can_be_skipped(tmp_path):
    text = (
        GOOD
        + "3,2019-01-03,NA,NA\n4,2019-01-03,,\n5,2019-02-30,-87.6,41.8\n6,2019-01-04,-87.6,95\n"
    )
    path = write(tmp_path, "e.csv", text)
    report = ReadReport()
    events = read_events_csv(
        path, time_col="when", lon_col="lon", lat_col="lat", skip_bad=True, report=report
    )
    assert len(events) == 2
    assert report.rows == 6 and report.kept == 2 and report.no_location == 2
    assert report.skipped == {"bad date": 1, "coordinate out of range": 1}
    assert "line 6: bad date '2019-02-30'" in report.first_errors[0]


def test_events_validate_themselves():
    with pytest.raises(ForecastError, match="differ in length"):
        Events([1.0, 2.0], [0.0], [0.0, 1.0])
    with pytest.raises(ForecastError, match="lat 91.0 at index 1 is outside"):
        Events([1.0, 2.0], [0.0, 0.0], [0.0, 91.0])
    with pytest.raises(ForecastError, match="non-finite"):
        Events([np.nan], [0.0], [0.0])
    ev = Events.from_records(
        [(dt.datetime(2019, 1, 1, 12), 106.8, -6.2), (dt.date(2019, 1, 2), 106.9, -6.1)]
    )
    assert ev.time.tolist() == [D2019 + 0.5, D2019 + 1]
    both = Events.concat(ev, ev.before(D2019 + 1))
    assert both.day.tolist() == [D2019, D2019 + 1, D2019]


# -- grids -----------------------------------------------------------------------------------


def test_square_grid_uses_the_local_utm_zone_and_aligned_cells():
    assert utm_crs_for(-87.6, 41.8) == "EPSG:32616"
    assert utm_crs_for(106.8, -6.2) == "EPSG:32748"  # Jakarta
    grid = SquareGrid(250).fit(np.array([-87.7, -87.6]), np.array([41.8, 41.9]))
    assert grid.crs_ == "EPSG:32616"
    # Points 100 m apart inside one 250 m cell share a key; the centre maps back to it.
    x, y = 447_110.0, 4_627_760.0  # inside cell [447000, 447250) x [4627750, 4628000)
    lon, lat = grid._inv.transform([x, x + 100.0, x + 200.0], [y, y + 100.0, y])
    keys = grid.keys(np.array(lon), np.array(lat))
    assert keys[0] == keys[1] != keys[2]
    cx, cy = grid.centres_xy(keys[:1])
    assert (cx[0], cy[0]) == (447_125.0, 4_627_875.0)
    clon, clat = grid.centres_lonlat(keys[:1])
    assert grid.keys(clon, clat)[0] == keys[0]
    ring = grid.boundary(int(keys[0]))
    assert len(ring) == 5 and ring[0] == ring[-1]
    with pytest.raises(ForecastError, match="not projected"):
        SquareGrid(250, crs="EPSG:4326").fit([], [])
    with pytest.raises(ForecastError, match="outside"):
        SquareGrid(0.5)


def test_h3_grid_matches_the_h3_library_and_fills_polygons():
    grid = H3Grid(9).fit(np.array([106.8]), np.array([-6.2]))
    keys = grid.keys(np.array([106.8456, 106.82]), np.array([-6.2088, -6.20]))
    assert keys[0] == h3.str_to_int(h3.latlng_to_cell(-6.2088, 106.8456, 9))
    assert 300 < grid.spacing_m < 400
    square = {
        "type": "Polygon",
        "coordinates": [
            [[106.80, -6.22], [106.84, -6.22], [106.84, -6.18], [106.80, -6.18], [106.80, -6.22]]
        ],
    }
    area = StudyArea.from_geojson(grid, square)
    # About 4.4 x 4.4 km of hexagons of about 0.105 km2.
    assert 150 < area.n_cells < 230
    assert area.index(keys).tolist()[1] >= 0
    assert area.index(np.array([h3.str_to_int(h3.latlng_to_cell(0.0, 0.0, 9))]))[0] == -1


def test_study_area_from_a_polygon_takes_cells_whose_centre_is_inside():
    grid = SquareGrid(250).fit(np.array([-87.65]), np.array([41.8]))
    box = {
        "type": "Feature",
        "geometry": {
            "type": "Polygon",
            "coordinates": [
                [
                    [-87.66, 41.79],
                    [-87.64, 41.79],
                    [-87.64, 41.81],
                    [-87.66, 41.81],
                    [-87.66, 41.79],
                ]
            ],
        },
    }
    area = StudyArea.from_geojson(grid, box)
    # 0.02 deg lon x 0.02 deg lat at 41.8 N is about 1.66 x 2.22 km: about 59 cells of 250 m.
    assert 50 <= area.n_cells <= 70
    with pytest.raises(ForecastError, match="expected a Polygon"):
        StudyArea.from_geojson(grid, {"type": "Point", "coordinates": [-87.65, 41.8]})


# -- ranking and the models on synthetic data ------------------------------------------------


def test_top_cells_breaks_ties_by_lowest_index():
    scores = np.array([1.0, 3.0, 3.0, 3.0, 0.0, 5.0])
    assert sorted(top_cells(scores, 3).tolist()) == [1, 2, 5]
    assert sorted(top_cells(scores, 1).tolist()) == [5]
    assert len(top_cells(scores, 10)) == 6
    assert flagged_count(0.05, 7073) == 354 and flagged_count(0.05, 10) == 1


def test_long_run_and_decayed_counts_score_as_computed_by_hand():
    area = line_area(3)
    ev = events_at(area, [0, 0, 1, 2, 9], [0, 1, 1, 2, 0])
    counts = LongRunCounts().fit(ev, 3)
    assert counts.predict().tolist() == [1.0, 2.0, 1.0]
    counts.observe(np.array([2, 2, -1]))
    assert counts.predict().tolist() == [1.0, 2.0, 3.0] and counts.now_ == 4
    decay = DecayedCounts(half_life_days=1.0).fit(ev, 3)
    # As of day 3, an event on day 2 weighs 1, day 1 weighs 1/2, day 0 weighs 1/4.
    assert decay.predict() == pytest.approx([0.25, 0.25 + 0.5, 1.0])
    decay.observe(np.array([0]))
    assert decay.predict() == pytest.approx([0.125 + 1.0, 0.375, 0.5])


def test_models_never_see_events_on_or_after_the_fit_day():
    area = line_area(5)
    past = ([0, 1, 2, 3], [0, 1, 1, 2])
    future = ([10, 11, 11, 12], [4, 4, 3, 4])
    with_future = events_at(area, past[0] + future[0], past[1] + future[1])
    without = events_at(area, *past)
    for name in ("counts", "decay", "kde", "hotspot", "etas", "blend"):
        a = make_model(name).fit(with_future, 10).predict(1)
        b = make_model(name).fit(without, 10).predict(1)
        assert np.array_equal(a, b), name


def test_kde_is_symmetric_and_forgets_events_older_than_its_window():
    area = line_area(7)
    kde = KernelDensity(bandwidth_m=250.0, window_days=5).fit(events_at(area, [10], [3]), 11)
    s = kde.predict()
    assert np.argmax(s) == 3
    assert s[2] == pytest.approx(s[4]) and s[2] == pytest.approx(np.exp(-0.5))
    assert s[1] == pytest.approx(np.exp(-2.0))
    for _ in range(4):
        kde.observe(np.array([], dtype=np.int64))
    assert kde.predict()[3] == pytest.approx(1.0)  # the event is 5 days old: still in
    kde.observe(np.array([], dtype=np.int64))
    assert kde.predict().sum() == 0.0


def test_a_window_longer_than_the_history_costs_nothing_and_still_forgets():
    area = line_area(7)
    history = events_at(area, [10, 12], [3, 5])
    huge = KernelDensity(bandwidth_m=250.0, window_days=10**15).fit(history, 13)
    short = KernelDensity(bandwidth_m=250.0, window_days=5).fit(history, 13)
    np.testing.assert_allclose(huge.predict(), short.predict())
    # A window that reaches past the first event still drops it on time.
    kde = KernelDensity(bandwidth_m=250.0, window_days=5).fit(events_at(area, [10], [3]), 11)
    for _ in range(5):
        kde.observe(np.array([], dtype=np.int64))
    assert kde.predict().sum() == 0.0


def test_prospective_hotspot_weights_by_week_and_cell_band():
    area = line_area(6)
    # One event on day 0 in cell 1; forecast for day 15: it is 2 whole weeks old.
    model = ProspectiveHotspot(radius_m=500.0, weeks=8).fit(events_at(area, [0], [1]), 15)
    expected = [1 / 3 * 1 / 2, 1 / 3, 1 / 3 * 1 / 2, 1 / 3 * 1 / 3, 0.0, 0.0]
    assert model.predict() == pytest.approx(expected)
    # After 8 weeks the event drops out.
    old = ProspectiveHotspot(radius_m=500.0, weeks=8).fit(events_at(area, [0], [1]), 57)
    assert old.predict().sum() == 0.0


def test_grid_etas_recovers_the_parameters_of_a_simulated_process():
    area = line_area(20)
    mu = np.linspace(0.02, 0.2, 20)
    day, cell = simulate_hawkes(mu, theta=0.5, tau=5.0, days=1500, seed=7)
    model = GridETAS().fit(events_at(area, day.tolist(), cell.tolist()), 1500)
    assert model.theta_ == pytest.approx(0.5, abs=0.08)
    assert 1.0 / model.omega_ == pytest.approx(5.0, rel=0.25)
    assert np.corrcoef(model.mu_, mu)[0, 1] > 0.95
    # The forecast adds the excitation to the background.
    assert (model.predict(1) >= model.mu_).all()
    assert model.predict(7) == pytest.approx(
        7 * model.mu_
        + model.theta_
        * (1 - np.exp(-7 * model.omega_))
        / (1 - np.exp(-model.omega_))
        * model.excitation_
    )


def test_blend_puts_the_offspring_on_the_true_time_scale():
    area = line_area(20)
    mu = np.linspace(0.02, 0.2, 20)
    day, cell = simulate_hawkes(mu, theta=0.5, tau=5.0, days=1500, seed=11)
    ev = events_at(area, day.tolist(), cell.tolist())
    model = HawkesBlend(time_scales_days=(1.0, 5.0, 50.0), radius_m=0.0, fit_days=700).fit(ev, 1500)
    assert model.offspring_[1] == pytest.approx(0.5, abs=0.12)
    assert model.offspring_[0] < 0.1 and model.offspring_[2] < 0.1
    # Background = beta * long-run rate; the long-run rate of a cell is mu / (1 - theta).
    assert model.beta_ == pytest.approx(0.5, abs=0.12)
    with pytest.raises(ForecastError, match="time scales"):
        HawkesBlend(time_scales_days=(0.0,)).fit(ev, 1500)


def test_blend_falls_back_to_long_run_counts_without_events_to_fit_on():
    area = line_area(4)
    # A single day of history: nothing to weigh the terms by.
    model = HawkesBlend().fit(events_at(area, [9, 9, 9], [2, 2, 0]), 10)
    assert model.fallback_
    assert np.argsort(-model.predict(1), kind="stable").tolist() == [2, 0, 1, 3]
    # Events in the history but none in the fit window (the later half of it).
    model = HawkesBlend(fit_days=5).fit(events_at(area, [0, 1], [3, 3]), 20)
    assert model.fallback_ and np.argmax(model.predict(1)) == 3


def test_blend_spreads_excitation_to_neighbour_rings():
    area = line_area(5)
    ev = events_at(area, list(range(0, 400, 2)), [2] * 200)
    model = HawkesBlend(time_scales_days=(7.0,)).fit(ev, 400)
    assert not model.fallback_
    assert model.n_rings_ == 2  # the cell itself and its edge neighbours (a single row)
    assert model.ring_distance_m_.tolist() == [0.0, 250.0]
    s = model.predict(1)
    assert np.argmax(s) == 2 and s[1] == pytest.approx(s[3])


# -- the backtester --------------------------------------------------------------------------


def test_backtest_counts_hits_misses_and_outside_events_by_hand():
    area = line_area(4)
    # History: cell 1 is the hottest. Test days 10-11: two events in cell 1, one in cell 0,
    # one outside the study area (-1), which must count as a miss.
    ev = events_at(area, [0, 1, 2, 3, 10, 10, 11, 11], [1, 1, 0, 2, 1, 0, -1, 1])
    result = backtest(ev, {"counts": LongRunCounts()}, start=10, end=11, coverage=0.25)
    score = result.models["counts"]
    assert result.flagged == 1 and result.n_cells == 4
    assert (score.hits, score.events) == (2, 4)
    assert score.hit_rate == 0.5 and score.pai == 2.0
    assert result.events_outside == 1
    assert result.period_events.tolist() == [2, 2]


def test_backtest_periods_follow_the_horizon_and_stop_at_end():
    area = line_area(3)
    ev = events_at(area, [0, 5, 12, 13, 16], [0, 0, 0, 1, 2])
    result = backtest(
        ev, {"counts": LongRunCounts()}, start=10, end=19, horizon_days=7, coverage=0.4
    )
    assert len(result.period_events) == 2  # days 10-16 and 17-19
    assert result.period_events.tolist() == [3, 0]
    with pytest.raises(ForecastError, match="no events before the start"):
        backtest(ev, {"counts": LongRunCounts()}, start=0, end=5)
    with pytest.raises(ForecastError, match="horizon"):
        backtest(ev, {"counts": LongRunCounts()}, start=10, end=19, horizon_days=0)


# -- real data -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def chicago() -> Events:
    if not CHICAGO.is_file():
        pytest.skip(f"{CHICAGO} not found; set SEJUK_DATA_DIR")
    return read_events_csv(CHICAGO, time_col="date", lon_col="longitude", lat_col="latitude")


def chicago_cells(chicago: Events, start: int) -> CellEvents:
    past = chicago.before(start)
    grid = SquareGrid(250).fit(past.lon, past.lat)
    return CellEvents.from_events(StudyArea.from_events(grid, past), chicago)


def test_all_history_counts_reproduce_the_published_chicago_anchor(chicago):
    """HR 0.250 / PAI 5.00: next-day, 2019, 250 m cells, top 5% (../shared/data/README.md)."""
    assert len(chicago) == 148_636
    cells = chicago_cells(chicago, D2019)
    assert cells.area.n_cells == 7073
    end = day_number(dt.date(2019, 12, 31))
    result = backtest(
        cells, {"counts": LongRunCounts(), "blend": HawkesBlend()}, start=D2019, end=end
    )
    counts, blend = result.models["counts"], result.models["blend"]
    assert result.events == 15_328 and result.flagged == 354
    assert counts.hit_rate == pytest.approx(0.250, abs=0.002)
    assert counts.pai == pytest.approx(5.00, abs=0.03)
    # The target: the blend beats the baseline, with a bootstrap interval above zero.
    diff, lo, hi = result.difference("blend", "counts")
    assert blend.hit_rate > counts.hit_rate and lo > 0, (diff, lo, hi)


def test_every_model_runs_on_a_month_of_chicago_weekly_and_is_deterministic(chicago):
    cells = chicago_cells(chicago, D2019)
    end = D2019 + 30
    names = ["counts", "decay", "kde", "hotspot", "etas", "blend"]
    first = backtest(cells, {n: make_model(n) for n in names}, start=D2019, end=end, horizon_days=7)
    again = backtest(cells, {n: make_model(n) for n in names}, start=D2019, end=end, horizon_days=7)
    assert list(first.models) == names
    assert len(first.period_events) == 5
    for name in names:
        assert 0.1 < first.models[name].hit_rate < 0.4, name
        assert first.models[name].hits == again.models[name].hits, name
    out = first.as_dict()
    assert set(out["models"]["blend"]) >= {"hit_rate", "pai", "hit_rate_minus_counts"}
    json.dumps(out)


def test_cincinnati_reads_with_its_ungeocoded_rows_and_backtests(tmp_path):
    if not CINCINNATI.is_file():
        pytest.skip(f"{CINCINNATI} not found; set SEJUK_DATA_DIR")
    report = ReadReport()
    events = read_events_csv(
        CINCINNATI, time_col="offense_date", lon_col="longitude", lat_col="latitude", report=report
    )
    assert report.rows == 8723 and report.no_location == 426 and len(events) == 8297
    start = day_number(dt.date(2018, 1, 1))
    past = events.before(start)
    grid = H3Grid(9).fit(past.lon, past.lat)
    cells = CellEvents.from_events(StudyArea.from_events(grid, past), events)
    result = backtest(
        cells, {"counts": LongRunCounts(), "blend": HawkesBlend()}, start=start, end=start + 89
    )
    assert result.events > 500
    assert 0.05 < result.models["counts"].hit_rate < 0.5


def test_fit_and_rank_returns_the_study_area_best_first(chicago):
    ranking = fit_and_rank(chicago, SquareGrid(250), dt.date(2020, 1, 1), horizon_days=7)
    assert ranking.model == "blend" and ranking.n_cells > 7000
    assert (np.diff(ranking.scores) <= 0).all()
    top = ranking.top(coverage=0.05)
    assert top.n_cells == flagged_count(0.05, ranking.n_cells)
    geo = top.top(n=3).to_geojson()
    assert [f["properties"]["rank"] for f in geo["features"]] == [1, 2, 3]
    assert geo["properties"]["as_of"] == "2020-01-01"
    with pytest.raises(ForecastError, match="unknown model 'magic'"):
        fit_and_rank(chicago, SquareGrid(250), dt.date(2020, 1, 1), model="magic")
    with pytest.raises(ForecastError, match="no events before"):
        fit_and_rank(chicago, SquareGrid(250), dt.date(2000, 1, 1))


# -- the command -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def chicago_slice(tmp_path_factory) -> Path:
    """Two years of real Chicago events in a 3 x 3 km box, as a plain CSV."""
    if not CHICAGO.is_file():
        pytest.skip(f"{CHICAGO} not found; set SEJUK_DATA_DIR")
    path = tmp_path_factory.mktemp("forecast") / "slice.csv"
    with gzip.open(CHICAGO, "rt", encoding="utf-8") as src, path.open("w", encoding="utf-8") as dst:
        dst.write(next(src))
        for line in src:
            date, _, lon, lat, _ = line.split(",")
            if date >= "2018" and -87.66 < float(lon) < -87.62 and 41.76 < float(lat) < 41.79:
                dst.write(line)
    return path


def run_command(*args: str) -> tuple[dict, str]:
    from io import StringIO

    out, err = StringIO(), StringIO()
    call_command("forecast", *args, stdout=out, stderr=err)
    return json.loads(out.getvalue()), err.getvalue()


CSV_ARGS = ["--time-col", "date", "--lon-col", "longitude", "--lat-col", "latitude"]


def test_command_backtest_prints_json_and_shows_progress(chicago_slice):
    out, err = run_command(
        "backtest", "--events", str(chicago_slice), *CSV_ARGS,
        "--start", "2019-06-01", "--end", "2019-06-30", "--horizon-days", "1",
        "--cell-m", "250", "--coverage", "0.05", "--model", "counts,blend", "--model", "kde",
    )  # fmt: skip
    assert list(out["models"]) == ["counts", "blend", "kde"]
    for scores in out["models"].values():
        assert 0.0 <= scores["hit_rate"] <= 1.0
        assert scores["pai"] == pytest.approx(
            scores["hit_rate"] / out["area_share_flagged"], rel=1e-2
        )
    assert out["periods"] == 30 and out["grid"]["crs"] == "EPSG:32616"
    assert "forecast" in err and "30/30" in err


def test_command_rank_prints_geojson(chicago_slice):
    out, _ = run_command(
        "rank", "--events", str(chicago_slice), *CSV_ARGS, "--as-of", "2019-07-01",
        "--horizon-days", "7", "--h3-res", "9", "--coverage", "0.1", "--model", "decay",
    )  # fmt: skip
    assert out["type"] == "FeatureCollection"
    assert out["properties"]["flagged_cells"] == len(out["features"]) > 0
    assert out["properties"]["grid"]["type"] == "h3"


@pytest.mark.parametrize(
    ("text", "extra", "message"),
    [
        ("date,longitude,latitude\n2019-01-01,-87.6,41.8\n2019-13-01,-87.6,41.8\n", [], "line 3: bad date '2019-13-01' in column date"),
        ("date,lon,latitude\n2019-01-01,-87.6,41.8\n", [], "missing longitude column 'longitude'"),
        ("date,longitude,latitude\n2019-01-01,-87.6,41.8\n2019-01-02,-87.6,-95\n", [], "line 3: latitude '-95' in column latitude is outside"),
        ("date,longitude,latitude\n2019-03-01,-87.6,41.8\n", [], "no events before --start 2019-01-02"),
        ("date,longitude,latitude\n2019-01-01,-87.6,41.8\n", ["--model", "oracle"], "unknown model 'oracle'"),
        ("date,longitude,latitude\n2019-01-01,-87.6,41.8\n", ["--model", "counts", "--set", "kde.bandwidth_m=3"], "model 'kde' is not being run"),
        ("date,longitude,latitude\n2019-01-01,-87.6,41.8\n", ["--model", "kde", "--set", "kde.bandwidth=3"], "unexpected keyword argument 'bandwidth'"),
    ],
)  # fmt: skip
def test_command_rejects_bad_input_with_a_clear_message(tmp_path, text, extra, message):
    path = write(tmp_path, "e.csv", text)
    with pytest.raises(CommandError) as err:
        run_command(
            "backtest", "--events", str(path), *CSV_ARGS, "--start", "2019-01-02",
            "--end", "2019-01-03", "--no-progress", *extra,
        )  # fmt: skip
    assert message in str(err.value)

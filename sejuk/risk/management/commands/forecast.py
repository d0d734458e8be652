"""``sejuk forecast backtest|rank``: hotspot forecasts from an events CSV (docs/forecast.md).

The work is done by :mod:`sejuk.analytics.forecast`; this command reads the
files, shows progress on stderr and prints JSON (backtest) or GeoJSON (rank)
on stdout. No database is used.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from sejuk.analytics.forecast import (
    MODELS,
    CellEvents,
    Events,
    ForecastError,
    Grid,
    H3Grid,
    ReadReport,
    SquareGrid,
    StudyArea,
    backtest,
    date_of,
    fit_and_rank,
    make_model,
    parse_date,
    read_events_csv,
)


def _date(text: str) -> int:
    try:
        day = parse_date(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"bad date {text!r} (use YYYY-MM-DD)") from None
    return day


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be at least 1")
    return value


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 < value <= 1.0:
        raise argparse.ArgumentTypeError(f"{value:g} is not in (0, 1] (5%% is 0.05)")
    return value


def _metres(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of metres") from None
    if not 1.0 <= value <= 100_000.0:
        raise argparse.ArgumentTypeError(f"{value:g} m is outside [1, 100000]")
    return value


def _setting(text: str) -> tuple[str, str, Any]:
    try:
        target, raw = text.split("=", 1)
        model, param = target.split(".", 1)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not MODEL.PARAM=VALUE") from None
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    if isinstance(value, list):
        value = tuple(value)
    return model, param, value


class Command(BaseCommand):
    help = (
        "Hotspot forecasts: backtest the models on an events CSV, or rank cells for the next days."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        bt = sub.add_parser(
            "backtest",
            help="Roll forward one forecast period at a time and score hit rate and PAI.",
            description=(
                "Fit every model on the events before --start, then forecast each period of "
                "--horizon-days from --start to --end (inclusive), flag the top --coverage "
                "share of the study-area cells and count the period's events that fall in them. "
                "Prints JSON on stdout; progress on stderr."
            ),
        )
        self._common(bt)
        bt.add_argument("--start", type=_date, required=True, help="first forecast day")
        bt.add_argument("--end", type=_date, required=True, help="last forecast day (inclusive)")
        bt.add_argument(
            "--model",
            action="append",
            help=f"model(s) to run: {', '.join(MODELS)} or all (default: all; repeat or comma-separate)",
        )
        rk = sub.add_parser(
            "rank",
            help="Rank the cells for the days from --as-of and print the top ones as GeoJSON.",
        )
        self._common(rk)
        rk.add_argument("--as-of", type=_date, required=True, help="first forecast day")
        rk.add_argument("--model", default="blend", choices=list(MODELS), help="default: blend")

    def _common(self, p: argparse.ArgumentParser) -> None:
        p.add_argument("--events", type=Path, required=True, help="CSV file (plain or gzip)")
        p.add_argument("--time-col", required=True, help="date or date-time column")
        p.add_argument("--lon-col", required=True, help="WGS84 longitude column")
        p.add_argument("--lat-col", required=True, help="WGS84 latitude column")
        p.add_argument("--horizon-days", type=_positive_int, default=1, help="default: 1")
        cells = p.add_mutually_exclusive_group()
        cells.add_argument(
            "--cell-m", type=_metres, help="square cells of this size in metres (default: 250)"
        )
        cells.add_argument("--h3-res", type=int, choices=range(16), metavar="0-15", help="H3 cells")
        p.add_argument(
            "--crs",
            help="projected CRS for square cells (default: the UTM zone of the events before the start)",
        )
        p.add_argument(
            "--coverage", type=_share, default=0.05, help="share of cells flagged (default: 0.05)"
        )
        p.add_argument(
            "--area",
            type=Path,
            help="GeoJSON (Multi)Polygon: the study area is the cells whose centre lies inside "
            "(default: the cells holding at least one event before the start)",
        )
        p.add_argument(
            "--set",
            type=_setting,
            action="append",
            default=[],
            metavar="MODEL.PARAM=VALUE",
            help="override a model hyperparameter, e.g. kde.bandwidth_m=150 (repeatable)",
        )
        p.add_argument(
            "--skip-bad-rows",
            action="store_true",
            help="skip rows with a bad date or coordinate instead of stopping (counted in the output)",
        )
        p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")

    # -- helpers ------------------------------------------------------------------------------

    def _read(self, opts: dict[str, Any]) -> tuple[Events, ReadReport]:
        report = ReadReport()
        events = read_events_csv(
            opts["events"],
            time_col=opts["time_col"],
            lon_col=opts["lon_col"],
            lat_col=opts["lat_col"],
            skip_bad=opts["skip_bad_rows"],
            report=report,
        )
        if report.skipped and not opts["no_progress"]:
            for line in report.first_errors:
                self.stderr.write(f"skipped: {line}")
        return events, report

    def _grid(self, opts: dict[str, Any], past: Events) -> Grid:
        if opts.get("h3_res") is not None:
            if opts.get("crs"):
                raise CommandError("--crs applies to square cells only, not --h3-res")
            return H3Grid(opts["h3_res"]).fit(past.lon, past.lat)
        return SquareGrid(opts.get("cell_m") or 250.0, crs=opts.get("crs")).fit(past.lon, past.lat)

    def _area(self, opts: dict[str, Any], grid: Grid, past: Events) -> StudyArea:
        if opts.get("area") is None:
            return StudyArea.from_events(grid, past)
        path: Path = opts["area"]
        try:
            geometry = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise CommandError(f"--area {path}: cannot read ({exc.strerror or exc})") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise CommandError(f"--area {path}: not JSON ({exc})") from None
        try:
            return StudyArea.from_geojson(grid, geometry)
        except ForecastError as exc:
            raise CommandError(f"--area {path}: {exc}") from None

    def _models(self, names: list[str], settings: list[tuple[str, str, Any]]) -> dict[str, Any]:
        params: dict[str, dict[str, Any]] = {}
        for model, param, value in settings:
            if model not in names:
                raise CommandError(f"--set {model}.{param}: model {model!r} is not being run")
            params.setdefault(model, {})[param] = value
        return {name: make_model(name, **params.get(name, {})) for name in names}

    def handle(self, *args, **opts):
        try:
            if opts["verb"] == "backtest":
                return self._backtest(opts)
            return self._rank(opts)
        except ForecastError as exc:
            raise CommandError(str(exc)) from None

    # -- verbs --------------------------------------------------------------------------------

    def _backtest(self, opts: dict[str, Any]) -> None:
        tick = time.perf_counter()
        names: list[str] = []
        for chunk in opts.get("model") or ["all"]:
            for name in chunk.split(","):
                name = name.strip()
                if name == "all":
                    names.extend(MODELS)
                elif name in MODELS:
                    names.append(name)
                else:
                    raise CommandError(
                        f"unknown model {name!r}; choose from {', '.join(MODELS)} or all"
                    )
        names = list(dict.fromkeys(names))
        start, end = opts["start"], opts["end"]
        if end < start:
            raise CommandError(f"--end {date_of(end)} is before --start {date_of(start)}")
        models = self._models(names, opts["set"])
        events, report = self._read(opts)
        past = events.before(start)
        if len(past) == 0:
            raise CommandError(
                f"no events before --start {date_of(start)} in {opts['events']} "
                f"(events run from {date_of(int(events.day.min()))} to {date_of(int(events.day.max()))})"
            )
        grid = self._grid(opts, past)
        area = self._area(opts, grid, past)
        cell_events = CellEvents.from_events(area, events)
        bar = None
        quiet = opts["no_progress"]

        def progress(stage: str, done: int, total: int) -> None:
            nonlocal bar
            if quiet:
                return
            if stage.startswith("fit"):
                self.stderr.write(f"{stage} ({done}/{total})")
                return
            if bar is None:
                # tqdm redraws with carriage returns, so it writes to the raw stream,
                # not to Django's line-oriented OutputWrapper.
                stream = getattr(self.stderr, "_out", sys.stderr)
                bar = tqdm(total=total, desc="forecast", unit="period", file=stream)
            bar.update(1)

        try:
            result = backtest(
                cell_events,
                models,
                start=start,
                end=end,
                horizon_days=opts["horizon_days"],
                coverage=opts["coverage"],
                progress=progress,
            )
        finally:
            if bar is not None:
                bar.close()
        out = result.as_dict()
        out["grid"] = grid.describe()
        out["input"] = {
            "events_file": str(opts["events"]),
            "rows": report.rows,
            "events": report.kept,
            "rows_without_location": report.no_location,
            "rows_skipped": dict(report.skipped),
        }
        out["seconds"] = round(time.perf_counter() - tick, 2)
        self.stdout.write(json.dumps(out, indent=2))

    def _rank(self, opts: dict[str, Any]) -> None:
        as_of = opts["as_of"]
        models = self._models([opts["model"]], opts["set"])
        events, _ = self._read(opts)
        past = events.before(as_of)
        if len(past) == 0:
            raise CommandError(f"no events before --as-of {date_of(as_of)} in {opts['events']}")
        grid = self._grid(opts, past)
        area = self._area(opts, grid, past)
        ranking = fit_and_rank(events, area, as_of, opts["horizon_days"], models[opts["model"]])
        top = ranking.top(coverage=opts["coverage"])
        out = top.to_geojson()
        out["properties"].update(
            {
                "study_area_cells": ranking.n_cells,
                "flagged_cells": top.n_cells,
                "coverage": opts["coverage"],
            }
        )
        self.stdout.write(json.dumps(out))

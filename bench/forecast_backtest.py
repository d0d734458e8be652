"""Benchmark ``sejuk forecast backtest`` on the real incident files.

Run from the repository root::

    .venv/bin/python bench/forecast_backtest.py [--runs 3]      # the scale target
    .venv/bin/python bench/forecast_backtest.py --table         # + the full results table

The scale target (issue 6): the one-year Chicago backtest, next-day, all
models, in under 5 minutes. Each run is the real command in a fresh process
(``python -m sejuk forecast backtest ...``), so the time includes start-up and
reading the gzip CSV; the median wall time of ``--runs`` runs is printed with
the per-model fit and run seconds of the median run.

``--table`` also runs every configuration reported in docs/forecast.md
(Chicago 2019 and Cincinnati 2018, next-day and weekly, and the Chicago years
2014-2018 as a robustness check) once each and prints a Markdown table of hit
rate, PAI and the difference to all-history counts with its 95% bootstrap
interval. The data files come from ``$SEJUK_DATA_DIR/incidents`` (default:
``../shared/data`` next to the repository).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = Path(os.environ.get("SEJUK_DATA_DIR", REPO_ROOT.parent / "shared" / "data"))
CHICAGO = DATA_DIR / "incidents" / "chicago_aggravated_assaults.csv.gz"
CINCINNATI = DATA_DIR / "incidents" / "cincinnati_burglary.csv.gz"
CHICAGO_COLS = ["--time-col", "date", "--lon-col", "longitude", "--lat-col", "latitude"]
CINCINNATI_COLS = ["--time-col", "offense_date", "--lon-col", "longitude", "--lat-col", "latitude"]


def run(events: Path, cols: list[str], year: int, horizon: int) -> tuple[dict, float]:
    cmd = [
        sys.executable, "-m", "sejuk", "forecast", "backtest", "--events", str(events), *cols,
        "--start", f"{year}-01-01", "--end", f"{year}-12-31", "--horizon-days", str(horizon),
        "--cell-m", "250", "--coverage", "0.05", "--model", "all", "--no-progress",
    ]  # fmt: skip
    env = dict(os.environ)
    env.setdefault("SEJUK_STATE_DIR", "/tmp/sejuk-bench-forecast")
    tick = time.perf_counter()
    done = subprocess.run(cmd, cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - tick
    if done.returncode != 0:
        sys.exit(f"backtest failed ({done.returncode}):\n{done.stderr}")
    return json.loads(done.stdout), wall


def table_rows(label: str, result: dict) -> list[str]:
    rows = []
    for name, s in result["models"].items():
        diff = s.get("hit_rate_minus_counts")
        vs = (
            f"{diff['value']:+.4f} [{diff['ci95'][0]:+.4f}, {diff['ci95'][1]:+.4f}]"
            if diff
            else "—"
        )
        rows.append(f"| {label} | {name} | {s['hit_rate']:.4f} | {s['pai']:.3f} | {vs} |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs (default 3)")
    parser.add_argument("--table", action="store_true", help="also print the full results table")
    args = parser.parse_args()
    for path in (CHICAGO, CINCINNATI):
        if not path.is_file():
            sys.exit(f"{path} not found; set SEJUK_DATA_DIR")

    timings = []
    for i in range(args.runs):
        result, wall = run(CHICAGO, CHICAGO_COLS, 2019, 1)
        timings.append((wall, result))
        print(f"[bench] run {i + 1}/{args.runs}: {wall:.1f} s", file=sys.stderr, flush=True)
    timings.sort(key=lambda t: t[0])
    wall, result = timings[len(timings) // 2]
    print("Chicago 2019, next-day, 250 m, 5%, all models (one process per run)")
    print(f"  wall time: median {statistics.median(t[0] for t in timings):.1f} s "
          f"(min {timings[0][0]:.1f}, max {timings[-1][0]:.1f}) over {args.runs} run(s); "
          f"target < 300 s")  # fmt: skip
    print(f"  inside the command: {result['seconds']:.1f} s")
    for name, s in result["models"].items():
        print(
            f"  {name:8s} fit {s['fit_seconds']:6.2f} s  run {s['run_seconds']:6.2f} s  "
            f"HR {s['hit_rate']:.4f}  PAI {s['pai']:.3f}"
        )

    if not args.table:
        return
    configs = [
        ("Chicago 2019, next-day", CHICAGO, CHICAGO_COLS, 2019, 1),
        ("Chicago 2019, 7-day", CHICAGO, CHICAGO_COLS, 2019, 7),
        ("Cincinnati 2018, next-day", CINCINNATI, CINCINNATI_COLS, 2018, 1),
        ("Cincinnati 2018, 7-day", CINCINNATI, CINCINNATI_COLS, 2018, 7),
        ("Cincinnati 2017, next-day", CINCINNATI, CINCINNATI_COLS, 2017, 1),
    ] + [(f"Chicago {y}, next-day", CHICAGO, CHICAGO_COLS, y, 1) for y in range(2014, 2019)]
    print()
    print("| backtest | model | hit rate | PAI | HR − counts [95% CI] |")
    print("|---|---|---|---|---|")
    for label, path, cols, year, horizon in configs:
        # The timed runs above already are the first configuration.
        first = (path, year, horizon) == (CHICAGO, 2019, 1)
        found = result if first else run(path, cols, year, horizon)[0]
        print("\n".join(table_rows(label, found)), flush=True)


if __name__ == "__main__":
    main()

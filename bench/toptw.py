"""TOPTW benchmark of the routing library (sejuk.analytics.routing).

Runs every instance of ``toptw/best_known_m1.csv`` (proven optima for one tour)
with ``--seconds`` of wall-clock budget each and prints the gap to the optimum
per instance, the mean and the worst; then the same instances with m = 2, 3, 4
tours, whose scores are printed next to the all-points upper bound (no proven
optima are at hand for m > 1). Every plan is re-checked by the independent
checker; an infeasible plan aborts the run.

    .venv/bin/python bench/toptw.py --seconds 10 --workers 2
    .venv/bin/python bench/toptw.py --seconds 10 --m 1 --only c104,r107
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sejuk.analytics.routing import Stop, check, plan, read_toptw  # noqa: E402


def default_data() -> Path:
    env = os.environ.get("SEJUK_DATA_DIR")
    return Path(env) if env else ROOT.parent / "shared" / "data"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=default_data(), help="data directory")
    parser.add_argument("--seconds", type=float, default=10.0, help="budget per instance (m=1)")
    parser.add_argument(
        "--seconds-multi", type=float, default=None, help="budget per instance for m > 1"
    )
    parser.add_argument("--workers", type=int, default=2, help="parallel searches per instance")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--m", default="1,2,3,4", help="numbers of tours to run, e.g. 1 or 2,3")
    parser.add_argument("--only", default="", help="comma-separated instance names")
    args = parser.parse_args()

    table = args.data / "toptw" / "best_known_m1.csv"
    with table.open(newline="") as fh:
        optima = {row["instance"]: float(row["optimal_score"]) for row in csv.DictReader(fh)}
    names = [n for n in optima if not args.only or n in args.only.split(",")]
    tours = [int(x) for x in args.m.split(",")]
    print(f"# {len(names)} instances, {args.workers} workers, seed {args.seed}", flush=True)

    if 1 in tours:
        print(f"\n## m = 1, {args.seconds:g} s each\n")
        print("| instance | optimum | score | gap % | time s |")
        print("|---|---|---|---|---|")
        gaps = []
        for name in names:
            instance = read_toptw(args.data / "toptw" / "instances" / f"{name}.txt")
            problem = instance.problem(1)
            began = time.monotonic()
            result = plan(problem, Stop(args.seconds, args.workers), seed=args.seed)
            elapsed = time.monotonic() - began
            report = check(problem, result)
            report.raise_if_infeasible()
            gap = 100.0 * (optima[name] - report.score) / optima[name]
            gaps.append(gap)
            print(
                f"| {name} | {optima[name]:g} | {report.score:g} | {gap:.2f} | {elapsed:.1f} |",
                flush=True,
            )
        print(
            f"\nmean gap {statistics.fmean(gaps):.3f}%, worst {max(gaps):.2f}%, "
            f"optimal on {sum(g <= 1e-9 for g in gaps)}/{len(gaps)}"
        )

    multi = [m for m in tours if m > 1]
    if multi:
        seconds = args.seconds_multi or args.seconds
        print(f"\n## m = {', '.join(map(str, multi))}, {seconds:g} s each\n")
        print("| instance | upper bound | " + " | ".join(f"m={m}" for m in multi) + " |")
        print("|---|---|" + "---|" * len(multi))
        for name in names:
            instance = read_toptw(args.data / "toptw" / "instances" / f"{name}.txt")
            cells = []
            for m in multi:
                problem = instance.problem(m)
                result = plan(problem, Stop(seconds, args.workers), seed=args.seed)
                report = check(problem, result)
                report.raise_if_infeasible()
                cells.append(f"{report.score:g}")
            print(f"| {name} | {instance.upper_bound:g} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()

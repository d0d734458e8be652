"""sejuk plan solve"""

from __future__ import annotations

import json
import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from sejuk.analytics.routing import RoutingError, Stop, check, plan, read_toptw


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise CommandError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise CommandError(f"expected a number >= 1, got {value}")
    return value


class Command(BaseCommand):
    help = "Patrol routing: solve a team orienteering benchmark instance (TOPTW format)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        solve = sub.add_parser(
            "solve",
            help="Solve an OPTW/TOPTW benchmark file with M tours and print the plan as JSON: "
            '{"score", "routes": [[point ids in visit order]...], "feasible"}.',
        )
        solve.add_argument("--instance", type=Path, required=True, help="benchmark file")
        solve.add_argument("--vehicles", required=True, help="number of tours m (>= 1)")
        solve.add_argument("--seconds", type=float, default=10.0, help="wall-clock budget")
        solve.add_argument("--seed", type=int, default=0, help="search seed (>= 0)")
        solve.add_argument(
            "--workers",
            default=str(min(2, os.cpu_count() or 1)),
            help="parallel searches (default: 2, or 1 on a one-core machine)",
        )

    def handle(self, *args, **opts):
        vehicles = _positive_int(opts["vehicles"])
        workers = _positive_int(opts["workers"])
        seconds = opts["seconds"]
        if not seconds > 0:
            raise CommandError(f"--seconds must be > 0, got {seconds}")
        if opts["seed"] < 0:
            raise CommandError(f"--seed must be >= 0, got {opts['seed']}")
        try:
            instance = read_toptw(opts["instance"])
            problem = instance.problem(vehicles)
            result = plan(problem, Stop(seconds=seconds, workers=workers), seed=opts["seed"])
        except RoutingError as exc:
            raise CommandError(str(exc)) from None
        report = check(problem, result)
        out = {
            "instance": instance.name,
            "vehicles": vehicles,
            "score": report.score,
            "upper_bound": instance.upper_bound,
            "routes": [[int(pid) for pid in route.point_ids] for route in result.routes],
            "feasible": report.feasible,
            "seconds": round(result.runtime, 3),
        }
        self.stdout.write(json.dumps(out))
        if not report.feasible:  # pragma: no cover - plan() already refuses these
            raise CommandError("the plan failed the feasibility check: " + str(report.violations))

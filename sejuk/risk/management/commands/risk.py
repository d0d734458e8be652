"""sejuk risk compute|indicators|incidents-import|alerts"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from sejuk.accounts import audit
from sejuk.accounts.models import User
from sejuk.analytics.riskindex import IndexSpec, SpecError
from sejuk.risk.actions import RiskError, compute_index, resolve_scope
from sejuk.risk.incidents_csv import MAX_BYTES, IncidentCsvError, import_incidents
from sejuk.risk.indicators import configured_path, current_spec
from sejuk.risk.models import DAY_MAX, DAY_MIN, AlertStatus, RiskAlert

MAX_DAYS = 400


def _date(value: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--date {value!r} is not a date like 2024-11-27") from None
    if not DAY_MIN <= day <= DAY_MAX:
        raise CommandError(f"--date {value} is outside {DAY_MIN} .. {DAY_MAX}")
    return day


class Command(BaseCommand):
    help = (
        "Early warning: compute the vulnerability index, check the indicator definition, "
        "import incidents, list alerts (docs/risk.md)."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        comp = sub.add_parser(
            "compute",
            help="Compute (or recompute) the index for a day: rows, rollups, alerts, forecast.",
        )
        comp.add_argument("--date", help="the day (YYYY-MM-DD; default today in Asia/Jakarta)")
        comp.add_argument(
            "--scope",
            help="kode prefix(es), comma-separated (e.g. 31.71); 'all' for every kelurahan; "
            "default: the territory of the police units",
        )
        comp.add_argument(
            "--days", type=int, default=1, help="also the N-1 days before --date, oldest first"
        )
        comp.add_argument("--no-alerts", action="store_true", help="do not raise alerts")
        comp.add_argument("--no-forecast", action="store_true", help="skip the hotspot forecast")
        comp.add_argument("--json", action="store_true", help="print one JSON line per day")
        ind = sub.add_parser("indicators", help="Validate and summarise an indicator definition.")
        ind.add_argument("--file", type=Path, help="a definition file (default: the one in use)")
        ind.add_argument("--json", action="store_true")
        imp = sub.add_parser(
            "incidents-import",
            help="Import incidents from CSV (all rows or none; docs/templates/risk_incidents.csv).",
        )
        imp.add_argument("csv", type=Path)
        imp.add_argument("--as", dest="username", help="act as this user (scope and audit)")
        imp.add_argument("--dry-run", action="store_true", help="check only, write nothing")
        al = sub.add_parser("alerts", help="List alerts as JSON lines.")
        al.add_argument("--status", choices=AlertStatus.values, default=AlertStatus.OPEN)
        al.add_argument("--limit", type=int, default=100)

    def handle(self, *args, **opts):
        verb = opts["verb"]
        with audit.acting_as(audit.Actor(username="cli", source=f"cli:risk {verb}")):
            if verb == "compute":
                return self._compute(opts)
            if verb == "indicators":
                return self._indicators(opts)
            if verb == "incidents-import":
                return self._import(opts)
            return self._alerts(opts)

    def _compute(self, opts):
        day = _date(opts["date"]) if opts.get("date") else timezone.localdate()
        days = opts["days"]
        if not 1 <= days <= MAX_DAYS:
            raise CommandError(f"--days must be between 1 and {MAX_DAYS}, got {days}")
        try:
            spec = current_spec()
            prefixes = resolve_scope(opts.get("scope"))
        except SpecError as exc:
            raise CommandError(f"indicator definition: {exc}") from None
        except RiskError as exc:
            raise CommandError(str(exc)) from None
        for offset in range(days - 1, -1, -1):
            d = day - dt.timedelta(days=offset)
            result = compute_index(
                d,
                prefixes,
                source="cli",
                alerts=not opts["no_alerts"],
                forecast=not opts["no_forecast"],
                spec=spec,
            )
            if opts["json"]:
                self.stdout.write(json.dumps(result.as_dict()))
            else:
                lv = result.levels
                self.stdout.write(
                    f"{d.isoformat()}: {result.kelurahan} kelurahan ({result.scope}); "
                    f"tinggi {lv.get('tinggi', 0)}, sedang {lv.get('sedang', 0)}, "
                    f"rendah {lv.get('rendah', 0)}; {result.rollups} rollups; "
                    f"{len(result.alerts)} alert(s); {result.seconds:.1f} s"
                )

    def _indicators(self, opts):
        path = opts.get("file") or configured_path()
        try:
            spec = IndexSpec.load(path)
        except SpecError as exc:
            raise CommandError(str(exc)) from None
        summary = {
            "file": str(path),
            "version": spec.version,
            "fingerprint": spec.fingerprint(),
            "dimensions": {d.code: d.weight for d in spec.dimensions},
            "indicators": len(spec.indicators),
            "signals": {s.code: {"weight": s.weight, "scale": s.scale} for s in spec.signals},
            "calendar": dict(spec.calendar),
            "levels": {"sedang": spec.thresholds[0], "tinggi": spec.thresholds[1]},
            "max_score": round(spec.max_score, 4),
        }
        if opts["json"]:
            self.stdout.write(json.dumps(summary))
            return
        self.stdout.write(
            f"{spec.version} ({path}): valid; {len(spec.indicators)} indicators in "
            f"{len(spec.dimensions)} dimensions ({sum(summary['dimensions'].values()):g} points), "
            f"{len(spec.signals)} signals ({sum(s.weight for s in spec.signals):g} points), "
            f"calendar x{max(spec.calendar.values()):g} at most, maximum score "
            f"{spec.max_score:.1f}; levels sedang >= {spec.thresholds[0]:g}, "
            f"tinggi >= {spec.thresholds[1]:g}"
        )

    def _import(self, opts):
        path: Path = opts["csv"]
        if not path.is_file():
            raise CommandError(f"{path}: file not found")
        user = None
        if opts.get("username"):
            user = User.objects.filter(username=opts["username"], is_active=True).first()
            if user is None:
                raise CommandError(f"no active user {opts['username']!r}")
        actor = (
            audit.actor_for_user(user, source="cli:risk incidents-import")
            if user
            else audit.Actor(username="cli", source="cli:risk incidents-import")
        )
        with audit.acting_as(actor):
            try:
                with path.open("rb") as f:
                    raw = f.read(MAX_BYTES + 1)  # one byte more is enough to refuse it
                result = import_incidents(raw, name=str(path), user=user, dry_run=opts["dry_run"])
            except IncidentCsvError as exc:
                lines = "\n".join(f"  {e}" for e in exc.errors)
                raise CommandError(
                    f"{len(exc.errors)} problem(s); nothing was imported:\n{lines}"
                ) from None
        what = "would be" if opts["dry_run"] else "were"
        self.stdout.write(
            f"incidents: {result.rows} rows; {result.created} {what} created, "
            f"{result.updated} {what} updated, {result.unchanged} unchanged"
        )
        if not opts["dry_run"] and (result.created or result.updated):
            print("run `sejuk risk compute` to update the index", file=sys.stderr)

    def _alerts(self, opts):
        qs = RiskAlert.objects.filter(status=opts["status"]).order_by("-date", "-id")
        for a in qs[: max(1, opts["limit"])]:
            self.stdout.write(
                json.dumps(
                    {
                        "id": a.pk,
                        "kind": a.kind,
                        "kelurahan": a.kelurahan_id,
                        "date": a.date.isoformat(),
                        "level": a.level,
                        "previous_level": a.previous_level,
                        "score": a.score,
                        "status": a.status,
                        "notified": a.notified,
                    }
                )
            )

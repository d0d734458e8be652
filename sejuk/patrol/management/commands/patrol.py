"""sejuk patrol generate|coverage|schedule"""

from __future__ import annotations

import datetime as dt
import json
import sys

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.utils import timezone

from sejuk.accounts import audit
from sejuk.fieldwork.models import TitikRawan
from sejuk.patrol import actions, tasks
from sejuk.patrol.coverage import MAX_DAYS, MAX_REVISIT_DAYS, PeriodError, coverage_report
from sejuk.patrol.models import PatrolPlan, PlanSource
from sejuk.territory.models import KODE_RE, PoliceUnit, kode_range


def _day(text: str) -> dt.date:
    if text == "today":
        return timezone.localdate()
    if text == "tomorrow":
        return timezone.localdate() + dt.timedelta(days=1)
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{text!r} is not a day: use YYYY-MM-DD, today or tomorrow") from None


def _area_q(field: str, codes: list[str]) -> Q:
    q = Q(pk__in=[])
    for c in codes:
        low, high = kode_range(c)
        q |= Q(**{field: c}) | Q(**{f"{field}__gte": low, f"{field}__lt": high})
    return q


class Command(BaseCommand):
    help = (
        "Patrol plans: generate a day's plans (as the evening job does), print coverage, "
        "or schedule the evening job in the worker."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        gen = sub.add_parser("generate", help="Plan a day for the officers of an area.")
        gen.add_argument("--day", default="tomorrow", help="YYYY-MM-DD, today or tomorrow")
        self._area(gen)
        gen.add_argument("--nrp", action="append", default=[], help="only this officer (repeat)")
        gen.add_argument(
            "--only-missing", action="store_true", help="skip officers who have a plan already"
        )
        gen.add_argument("--seed", type=int, default=0)
        gen.add_argument(
            "--time-limit", type=float, default=None, help="solver seconds per officer group"
        )
        gen.add_argument("--json", action="store_true", help="print the result as JSON")
        cov = sub.add_parser("coverage", help="Coverage of the risk-weighted titik rawan.")
        cov.add_argument("--start", help="first day, YYYY-MM-DD (default: 7 days ago)")
        cov.add_argument("--days", type=int, default=7)
        cov.add_argument("--revisit-days", type=int, default=7)
        self._area(cov)
        cov.add_argument("--json", action="store_true", help="print the report as JSON")
        sub.add_parser("schedule", help="Queue the evening plan job unless one is waiting.")

    def _area(self, parser) -> None:
        parser.add_argument("--unit", help="police unit code, e.g. polsek-johar-baru")
        parser.add_argument(
            "--kode", action="append", default=[], help="kode wilayah (repeat), e.g. 31.71.08"
        )

    def _codes(self, opts) -> list[str] | None:
        codes = list(opts.get("kode") or [])
        for c in codes:
            if not KODE_RE.match(c):
                raise CommandError(f"--kode {c!r} is not a kode wilayah like 31.71.08.1003")
        if opts.get("unit"):
            unit = PoliceUnit.objects.filter(code=opts["unit"]).first()
            if unit is None:
                raise CommandError(f"no police unit with code {opts['unit']!r}")
            codes += unit.territory_codes()
            if not codes:
                raise CommandError(f"{unit} covers no wilayah")
        return codes or None

    def handle(self, *args, **opts):
        with audit.acting_as(audit.Actor(source=f"cli:patrol {opts['verb']}")):
            if opts["verb"] == "generate":
                return self._generate(opts)
            if opts["verb"] == "coverage":
                return self._coverage(opts)
            created = tasks.ensure_scheduled()
            at = timezone.localtime(tasks.next_evening()).strftime("%Y-%m-%d %H:%M")
            self.stdout.write(
                f"evening plan job queued for {at}"
                if created
                else "evening plan job already queued"
            )

    def _generate(self, opts):
        day = _day(opts["day"])
        if day < timezone.localdate():
            raise CommandError(f"{day} is in the past; plans are made for today or later")
        if opts["time_limit"] is not None and not 0 < opts["time_limit"] <= 600:
            raise CommandError("--time-limit must be between 0 and 600 seconds")
        officers = actions.plannable_officers()
        codes = self._codes(opts)
        if codes:
            officers = officers.filter(_area_q("kelurahan__kode", codes))
        if opts["nrp"]:
            officers = officers.filter(nrp__in=opts["nrp"])
            missing = set(opts["nrp"]) - set(officers.values_list("nrp", flat=True))
            if missing:
                raise CommandError(
                    f"no plannable officer with NRP {', '.join(sorted(missing))} "
                    "(active, with a kelurahan, in the area)"
                )
        if not officers.exists():
            raise CommandError("no officer with a kelurahan in that area")
        print(f"planning {officers.count()} officer(s) for {day}", file=sys.stderr)
        result = actions.do_generate_plans(
            day,
            officers,
            source=PlanSource.ON_DEMAND,
            only_missing=opts["only_missing"],
            seed=opts["seed"],
            time_limit=opts["time_limit"],
        )
        if opts["json"]:
            self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False))
            return
        for p in result.plans:
            n = p.stops.filter(sequence__isnull=False).count()
            share = p.prize_planned / p.prize_available if p.prize_available else 0
            flag = "" if p.feasible else "  CHECK FAILED"
            self.stdout.write(f"{p.officer}: {n} stops, {share:.0%} of the priority{flag}")
            for w in p.warnings:
                self.stdout.write(f"  ! {w}")
        for s in result.skipped:
            self.stdout.write(f"skipped: {s}")
        self.stdout.write(f"{len(result.plans)} plan(s) in {result.seconds:.1f} s")

    def _coverage(self, opts):
        days = opts["days"]
        if not 1 <= days <= MAX_DAYS:
            raise CommandError(f"--days must be between 1 and {MAX_DAYS}")
        if not 1 <= opts["revisit_days"] <= MAX_REVISIT_DAYS:
            raise CommandError(f"--revisit-days must be between 1 and {MAX_REVISIT_DAYS}")
        start = (
            _day(opts["start"])
            if opts.get("start")
            else timezone.localdate() - dt.timedelta(days=days - 1)
        )
        titik = TitikRawan.objects.all()
        plans = PatrolPlan.objects.all()
        codes = self._codes(opts)
        if codes:
            titik = titik.filter(_area_q("kelurahan_id", codes))
            plans = plans.filter(_area_q("kelurahan_id", codes))
        try:
            report = coverage_report(titik, plans, start, days, revisit_days=opts["revisit_days"])
        except PeriodError as exc:
            raise CommandError(str(exc)) from None
        if opts["json"]:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False))
            return
        p = report.period
        share = f"{p.share:.1%}" if p.share is not None else "-"
        self.stdout.write(
            f"{report.start} .. {report.end}: {share} of the risk weight covered "
            f"({p.covered}/{p.points} titik rawan)"
        )
        for d in report.per_day:
            s = f"{d.share:.1%}" if d.share is not None else "-"
            self.stdout.write(f"  {d.start} {s:>6}  {d.covered}/{d.points}")
        t = report.plans_total()
        if t["plans"]:
            self.stdout.write(
                f"plans: {t['plans']}, stops done {t['done']}/{t['planned']}, "
                f"visits outside the plans {t['unplanned_visits']}"
            )
        self.stdout.write(
            f"neglected (no visit in {report.revisit_days} days): {len(report.neglected)}"
        )
        for n in report.neglected[:20]:
            last = n.last_visit.isoformat() if n.last_visit else "never"
            self.stdout.write(f"  {n.name} ({n.kelurahan_id}, {n.vulnerability}) last {last}")

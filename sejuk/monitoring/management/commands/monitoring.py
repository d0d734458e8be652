"""sejuk monitoring ingest|classify|detect|claims-import|claims-evaluate|claims-match|talking-points"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from sejuk.accounts import audit


def _out(cmd: BaseCommand, data) -> None:
    cmd.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str))


class Command(BaseCommand):
    help = "Social-media monitoring: ingest posts, classify, detect spikes, manage the fact-check archive."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        ing = sub.add_parser(
            "ingest",
            help="Ingest posts from a JSON-lines or CSV file (bad lines are reported, good ones kept).",
        )
        ing.add_argument("file", type=Path)
        ing.add_argument("--format", choices=["jsonl", "csv"], help="default: from the file name")
        ing.add_argument(
            "--unit",
            help="police unit code whose territory sees unplaced posts (default: SEJUK_TRIAGE_UNIT)",
        )
        cls = sub.add_parser("classify", help="Classify posts stored before a model existed.")
        cls.add_argument("--all", action="store_true", help="reclassify every post")
        det = sub.add_parser("detect", help="Look for spikes now and raise alerts (idempotent).")
        det.add_argument("--at", help="evaluate at this ISO time instead of now")
        imp = sub.add_parser(
            "claims-import",
            help="Import fact-checked claims: the Pratiwi seed (default) or a CSV file.",
        )
        imp.add_argument("file", nargs="?", type=Path, help="CSV file (docs/monitoring.md)")
        imp.add_argument(
            "--pratiwi",
            type=Path,
            help="the pratiwi-hoax directory (default: $SEJUK_DATA_DIR/nlp/pratiwi-hoax)",
        )
        imp.add_argument("--source", default="", help="source for rows without one")
        ev = sub.add_parser(
            "claims-evaluate", help="Top-1 verdict precision/recall on held-out splits (JSON)."
        )
        ev.add_argument("--data", type=Path, help="pratiwi-hoax directory or a claims CSV")
        ev.add_argument("--test-size", type=float, default=0.2)
        ev.add_argument("--seed", type=int, default=0)
        ev.add_argument("--splits", type=int, default=5, help="random splits for mean/std")
        ev.add_argument("--min-score", type=float, default=0.0)
        ev.add_argument("--char-weight", type=float, default=0.5)
        ev.add_argument("--passage-words", type=int, default=None)
        m = sub.add_parser("claims-match", help="The closest archived claims of a text (JSON).")
        m.add_argument("text", nargs="?")
        m.add_argument("--post", type=int)
        m.add_argument("--report", type=int)
        m.add_argument("-k", type=int, default=3)
        tp = sub.add_parser("talking-points", help="Export or import the talking-point templates.")
        tp.add_argument("action", choices=["export", "import"])
        tp.add_argument("file", nargs="?", type=Path, help="JSON file to import")

    def handle(self, *args, **opts):
        verb = opts["verb"]
        with audit.acting_as(audit.Actor(source=f"cli:monitoring {verb}")):
            return getattr(self, "_" + verb.replace("-", "_"))(opts)

    # --- posts ---------------------------------------------------------------

    def _ingest(self, opts):
        from sejuk.monitoring import actions
        from sejuk.monitoring.ingest import parse_csv, parse_jsonl, sniff_format
        from sejuk.territory.models import PoliceUnit

        path: Path = opts["file"]
        if not path.is_file():
            raise CommandError(f"{path}: file not found")
        unit = None
        if opts.get("unit"):
            unit = PoliceUnit.objects.filter(code=opts["unit"]).first()
            if unit is None:
                raise CommandError(f"no police unit with code {opts['unit']!r}")
        with path.open("rb") as fh:
            fmt = opts.get("format") or sniff_format(path.name, fh.read(64))
            fh.seek(0)
            parsed = parse_jsonl(fh) if fmt == "jsonl" else parse_csv(fh.read())
        result = actions.ingest(parsed, source=f"file:{path.name}", unit=unit)
        _out(self, result.as_dict())
        if result.errors:
            print(
                f"{path}: {result.ingested} post(s) ingested, {result.failed} line(s) failed "
                f"(first: line {result.errors[0]['line']}: {result.errors[0]['error']})",
                file=sys.stderr,
            )
            sys.exit(1)

    def _classify(self, opts):
        from sejuk.monitoring import actions, classifier

        if classifier.get_classifier() is None:
            raise CommandError(
                f"no text model in {classifier.model_dir()}; train one with `sejuk nlp train`"
            )
        _out(self, {"classified": actions.classify_pending(everything=opts["all"])})

    def _detect(self, opts):
        from sejuk.monitoring import actions

        at = None
        if opts.get("at"):
            try:
                at = dt.datetime.fromisoformat(opts["at"])
            except ValueError:
                raise CommandError(f"--at {opts['at']!r} is not an ISO time") from None
            if at.tzinfo is None:
                raise CommandError("--at needs a timezone, like 2024-11-20T10:00:00+07:00")
        alerts = actions.run_detection(at)
        _out(
            self,
            [
                {"id": a.pk, "area": a.area_kode, "kind": a.kind, "observed": a.observed,
                 "expected": a.expected, "p_value": a.p_value, "notified": a.notified}
                for a in alerts
            ],
        )  # fmt: skip

    # --- claims ----------------------------------------------------------------

    def _read_claims(self, path: Path | None, source: str = ""):
        from sejuk.analytics.claims import ClaimFileError, read_claims_csv, read_pratiwi

        try:
            if path is None or path.is_dir():
                base = path or (
                    settings.SEJUK_DATA_DIR / "nlp" / "pratiwi-hoax"
                    if settings.SEJUK_DATA_DIR
                    else None
                )
                if base is None or not base.exists():
                    raise CommandError(
                        "no pratiwi-hoax data: set SEJUK_DATA_DIR or give a path (sejuk data fetch)"
                    )
                return read_pratiwi(base), f"pratiwi:{base.name}"
            if not path.is_file():
                raise CommandError(f"{path}: file not found")
            return read_claims_csv(path, default_source=source), f"file:{path.name}"
        except ClaimFileError as exc:
            raise CommandError(f"{path}: {exc}") from None

    def _claims_import(self, opts):
        from sejuk.monitoring.archive import import_claims

        path = opts.get("file") or opts.get("pratiwi")
        read, label = self._read_claims(path, opts.get("source", ""))
        result = import_claims(read.claims, label=label)
        out = {
            **result.as_dict(),
            "errors": [{"line": e.line, "error": e.message} for e in read.errors],
        }
        _out(self, out)
        if read.errors:
            print(f"{len(read.errors)} row(s) failed, the others were imported", file=sys.stderr)
            sys.exit(1)

    def _claims_evaluate(self, opts):
        from sejuk.analytics.claims import ClaimMatcher, cross_validate, evaluate, verdict_counts

        read, label = self._read_claims(opts.get("data"))
        params = {"char_weight": opts["char_weight"], "passage_words": opts["passage_words"]}
        try:
            one = evaluate(
                read.claims,
                test_size=opts["test_size"],
                seed=opts["seed"],
                min_score=opts["min_score"],
                matcher=ClaimMatcher(**params),
            )
            cv = (
                cross_validate(
                    read.claims,
                    seeds=range(opts["seed"], opts["seed"] + opts["splits"]),
                    test_size=opts["test_size"],
                    min_score=opts["min_score"],
                    matcher_params=params,
                )
                if opts["splits"] > 1
                else None  # one split: the "split" figures are all there is
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        _out(
            self,
            {"data": label, "claims": len(read.claims), "verdicts": verdict_counts(read.claims),
             "split": one.as_dict(), "cross_validation": cv},
        )  # fmt: skip

    def _claims_match(self, opts):
        from sejuk.monitoring.archive import match_texts
        from sejuk.monitoring.models import Post
        from sejuk.reports.models import Report

        if opts.get("post"):
            post = Post.objects.filter(pk=opts["post"]).first()
            if post is None:
                raise CommandError(f"no post {opts['post']}")
            text = post.text
        elif opts.get("report"):
            report = Report.objects.filter(pk=opts["report"]).first()
            if report is None:
                raise CommandError(f"no report {opts['report']}")
            text = report.description
        elif opts.get("text"):
            text = opts["text"]
        else:
            raise CommandError("give a text, --post ID or --report ID")
        matches = match_texts([text], k=max(1, min(opts["k"], 20)))[0]
        _out(self, [m.as_dict() for m in matches])

    def _talking_points(self, opts):
        from sejuk.monitoring.actions import (
            MonitoringError,
            default_talking_points,
            validate_talking_points,
        )
        from sejuk.monitoring.models import MonitoringSettings

        s = MonitoringSettings.current()
        if opts["action"] == "export":
            _out(self, s.talking_points or default_talking_points())
            return
        path = opts.get("file")
        if path is None or not path.is_file():
            raise CommandError("give the JSON file to import")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise CommandError(f"{path}: not valid JSON ({exc})") from None
        try:
            s.talking_points = validate_talking_points(data)
        except MonitoringError as exc:
            raise CommandError(f"{path}: {exc}") from None
        s.save()
        self.stdout.write(
            f"talking points: {sum(len(v) for v in s.talking_points.values())} imported"
        )

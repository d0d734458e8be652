"""sejuk demo [--port N] [--prepare-only]

Prepares the embedded SQLite database (migrations, territory import, demo
organisation), then serves the web app on 127.0.0.1 with a background worker,
and prints the URL and one login per role.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from sejuk.accounts import audit
from sejuk.core.demo import DEMO_PASSWORD, DemoError, load_demo_organisation
from sejuk.fieldwork.demo import load_demo_fieldwork
from sejuk.patrol.demo import load_demo_patrol
from sejuk.reports.demo import load_demo_reports
from sejuk.risk.demo import load_demo_risk
from sejuk.territory.importers import import_territory
from sejuk.territory.models import ImportRun
from sejuk.territory.sources import SourceError, boundary_files


def _sha(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for p in paths:
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()


class Command(BaseCommand):
    help = "Prepare the demo database and serve Sejuk on 127.0.0.1 with a background worker."

    def add_arguments(self, parser):
        parser.add_argument(
            "--port", type=int, default=8000, help="port on 127.0.0.1 (default 8000)"
        )
        parser.add_argument(
            "--prepare-only", action="store_true", help="prepare and exit without serving"
        )
        parser.add_argument(
            "--workers", type=int, default=2, help="web worker processes (default 2)"
        )
        parser.add_argument(
            "--skip-model",
            action="store_true",
            help="do not train the text classifier when it is missing (posts stay unclassified)",
        )

    def log(self, msg: str) -> None:
        print(f"[sejuk demo] {msg}", file=sys.stderr, flush=True)

    def handle(self, *args, **opts):
        port = opts["port"]
        if not 1 <= port <= 65535:
            raise CommandError(f"--port {port} is not a TCP port (1-65535)")
        data = settings.SEJUK_DATA_DIR
        if data is None or not (data / "wilayah" / "wilayah.sql").is_file():
            raise CommandError(
                "no territory data: set SEJUK_DATA_DIR to the data directory, "
                "or download it with `sejuk data fetch`"
            )
        self.log(f"database: {settings.DATABASES['default']['NAME']}")
        self.log("applying migrations")
        call_command("migrate", interactive=False, verbosity=0)
        self._territory(data)
        self.log("loading the demo organisation (Polres Metro Jakarta Pusat)")
        try:
            with audit.acting_as(audit.Actor(source="cli:demo")):
                logins = load_demo_organisation()
                self.log("loading a week of field work in Kelurahan Galur (11-17 Nov 2024)")
                load_demo_fieldwork()
                self.log("loading demo citizen reports")
                load_demo_reports()
                self.log("loading the early-warning demo and computing the index (Nov-Dec 2024)")
                load_demo_risk(self.log)
                self.log("planning the Polsek Johar Baru patrols for today and tomorrow")
                load_demo_patrol()
                self._monitoring(data, train=not opts["skip_model"])
        except DemoError as exc:
            raise CommandError(str(exc)) from None
        self._print_logins(logins, port)
        if opts["prepare_only"]:
            self.log("prepared; not serving (--prepare-only)")
            return
        self._serve(port, opts["workers"])

    def _monitoring(self, data: Path, *, train: bool) -> None:
        """The fact-check archive's seed and, on first run, the text classifier."""
        from sejuk.analytics.claims import ClaimFileError, read_pratiwi
        from sejuk.monitoring.archive import import_claims
        from sejuk.monitoring.models import FactCheck

        seed = data / "nlp" / "pratiwi-hoax"
        if not FactCheck.objects.exists() and seed.is_dir():
            self.log("importing the fact-check archive seed (pratiwi-hoax, 600 texts)")
            try:
                import_claims(read_pratiwi(seed).claims, label=f"pratiwi:{seed.name}")
            except ClaimFileError as exc:
                self.log(f"fact-check seed not imported: {exc}")
        if train:
            from sejuk.analytics.textclass import DataError, ModelError
            from sejuk.nlp.actions import ensure_classifier, model_dir

            if not (model_dir() / "card.json").exists():
                self.log(f"training the text classifier once (about a minute) into {model_dir()}")
            try:
                ensure_classifier()
            except (FileNotFoundError, DataError, ModelError) as exc:
                self.log(f"text classifier not trained ({exc}); posts stay unclassified")
        from sejuk.monitoring.actions import ingest
        from sejuk.monitoring.ingest import parse_jsonl
        from sejuk.monitoring.models import Post

        if not Post.objects.exists():
            # Hand-written posts about Johar Baru around voting day (demo data, ours).
            posts = Path(__file__).resolve().parents[3] / "monitoring" / "demo_data" / "posts.jsonl"
            result = ingest(parse_jsonl(posts.read_bytes()), source="demo")
            self.log(f"ingested {result.ingested} demo social-media posts")

    def _territory(self, data: Path) -> None:
        codes = data / "wilayah" / "wilayah.sql"
        boundaries = data / "wilayah" / "boundaries"
        try:
            paths = [codes, *boundary_files(boundaries)]
        except SourceError as exc:
            raise CommandError(str(exc)) from None
        last = ImportRun.objects.filter(kind="territory").first()
        if last is not None and last.source_sha256 == _sha(paths):
            self.log("territory already imported from these files")
            return
        self.log("importing territory (83,762 desa/kelurahan; takes a little while)")
        with audit.acting_as(audit.Actor(source="cli:demo")):
            try:
                result = import_territory(codes, boundaries, progress=self.log)
            except SourceError as exc:
                raise CommandError(f"territory import failed, nothing changed: {exc}") from None
        self.log(
            f"territory: {result.created} created, {result.updated} updated in {result.seconds:.1f} s"
        )

    def _print_logins(self, logins, port: int) -> None:
        out = self.stdout
        out.write("")
        out.write(f"Sejuk demo: http://127.0.0.1:{port}/")
        out.write(f"Every demo login uses the password: {DEMO_PASSWORD}")
        out.write(f"{'username':<22} {'role':<18} who")
        for login in logins:
            out.write(f"{login.username:<22} {login.role:<18} {login.who}")
        out.write("")

    def _serve(self, port: int, workers: int) -> None:
        env = os.environ.copy()
        env.setdefault("DJANGO_SETTINGS_MODULE", "sejuk.settings")
        # granian (Rust HTTP, WSGI): 15 % less CPU per request than gunicorn
        # gthread on report intake (docs/benchmarks.md).
        web = subprocess.Popen(
            [sys.executable, "-m", "granian", "--interface", "wsgi", "--no-ws",
             "--host", "127.0.0.1", "--port", str(port), "--workers", str(max(1, workers)),
             "--blocking-threads", "4", "--workers-kill-timeout", "30",
             "--access-log", "--log-level", "warning", "sejuk.wsgi:application"],
            env=env,
        )  # fmt: skip
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "sejuk",
                "db_worker",
                "--queue-name",
                "*",
                "--interval",
                "1",
                "--no-reload",
            ],
            env=env,
        )
        from sejuk.core.tasks import heartbeat

        heartbeat.enqueue("worker")
        from sejuk.reports.tasks import ensure_scheduled

        ensure_scheduled()  # the SLA escalation check, every minute in the worker
        from sejuk.risk.tasks import ensure_scheduled as ensure_risk_scheduled

        ensure_risk_scheduled()  # the vulnerability index and its alerts, hourly
        from sejuk.patrol.tasks import ensure_scheduled as ensure_plans_scheduled

        ensure_plans_scheduled()  # tomorrow's patrol plans, every evening at 18:00
        self.log(f"serving on http://127.0.0.1:{port}/ (Ctrl+C to stop)")
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping:
                if web.poll() is not None:
                    raise CommandError(f"the web server exited with code {web.returncode}")
                if worker.poll() is not None:
                    raise CommandError(
                        f"the background worker exited with code {worker.returncode}"
                    )
                time.sleep(0.5)
        finally:
            for proc in (web, worker):
                if proc.poll() is None:
                    proc.terminate()
            for proc in (web, worker):
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
            self.log("stopped")

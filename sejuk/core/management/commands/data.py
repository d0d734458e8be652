"""``sejuk data fetch``: download the public data files from their pinned upstream commits.

See docs/data.md. The work is done by :mod:`sejuk.core.datafetch`; this
command adds the defaults from settings, progress bars on stderr, a one-line
summary on stdout and a non-zero exit status if any file failed.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from sejuk.core import datafetch

BASE_URL_ENV = "SEJUK_DATA_BASE_URL"


def default_dest() -> Path:
    """``settings.SEJUK_DATA_DIR`` if set, else ``<STATE_DIR>/data``."""
    data_dir = getattr(settings, "SEJUK_DATA_DIR", None)
    if data_dir:
        return Path(data_dir)
    return Path(settings.STATE_DIR) / "data"


class Command(BaseCommand):
    help = (
        "Manage Sejuk's public data files (territory codes, boundaries, corpora, benchmarks). "
        "See docs/data.md."
    )
    # Fetching files needs neither the database nor a clean system check.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        subparsers = parser.add_subparsers(dest="verb", required=True)
        fetch = subparsers.add_parser(
            "fetch",
            help="download missing or changed data files from their pinned upstream commits",
            description=(
                "Download every data file listed in sejuk/core/data_manifest.json from its "
                "upstream repository at the pinned commit, verify its SHA-256 and size, and "
                "move it into place. Files already present and verified are skipped."
            ),
        )
        fetch.add_argument(
            "--dest",
            metavar="DIR",
            type=Path,
            default=None,
            help="data directory to fill (default: SEJUK_DATA_DIR, else <state dir>/data)",
        )
        fetch.add_argument(
            "--base-url",
            metavar="URL",
            default=None,
            help=(
                f"where the repositories are served, as URL/OWNER/REPO/raw/COMMIT/PATH "
                f"(default: ${BASE_URL_ENV}, else {datafetch.DEFAULT_BASE_URL})"
            ),
        )
        fetch.add_argument(
            "--only",
            metavar="PREFIX",
            action="append",
            default=None,
            help="only files whose path starts with PREFIX, e.g. wilayah/ or nlp/ (repeatable)",
        )
        fetch.add_argument(
            "--force",
            action="store_true",
            help="download again even files that are present and verified",
        )
        # Let `data fetch -v 2` work as well as `data -v 2 fetch`; SUPPRESS keeps
        # the value given before the verb when none is given after it.
        fetch.add_argument(
            "-v",
            "--verbosity",
            type=int,
            choices=[0, 1, 2, 3],
            default=argparse.SUPPRESS,
            help="0 = summary only, 1 = progress (default), 2 = also list skipped files",
        )
        fetch.add_argument(
            "--timeout",
            metavar="SECONDS",
            type=float,
            default=60.0,
            help="network timeout per request (default: 60)",
        )

    def handle(self, *args, verb: str, **options):
        if verb == "fetch":
            return self.handle_fetch(**options)
        raise CommandError(f"unknown verb {verb!r}")  # argparse already rejects it

    def handle_fetch(self, *, dest, base_url, only, force, timeout, verbosity, **_):
        dest_dir: Path = (dest or default_dest()).expanduser()
        base_url = base_url or os.environ.get(BASE_URL_ENV) or datafetch.DEFAULT_BASE_URL
        if timeout <= 0:
            raise CommandError("--timeout must be a positive number of seconds")
        if dest_dir.exists() and not dest_dir.is_dir():
            raise CommandError(f"--dest {dest_dir} exists and is not a directory")

        reporter = _Progress(self._raw_stderr(), verbosity)
        try:
            report = datafetch.fetch(
                dest_dir,
                base_url=base_url,
                only=only,
                force=force,
                progress=reporter,
                timeout=timeout,
            )
        except (datafetch.ManifestError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        finally:
            reporter.close()

        self.stdout.write(f"{report.summary()} in {dest_dir}")
        if report.failed:
            first = report.failed[0]
            more = len(report.failed) - 1
            tail = f" (and {more} more, listed on stderr)" if more else ""
            raise CommandError(f"{len(report.failed)} file(s) failed: {first.message}{tail}")

    def _raw_stderr(self):
        # OutputWrapper appends a newline to every write, which breaks tqdm's
        # in-place redraws: hand tqdm the underlying stream.
        return getattr(self.stderr, "_out", sys.stderr)


class _Progress:
    """Turns datafetch progress events into per-file tqdm bars (or plain lines off a TTY)."""

    def __init__(self, stream, verbosity: int):
        self.stream = stream
        self.verbosity = verbosity
        self.bars = _is_terminal(stream)
        self.bar: tqdm | None = None

    def line(self, text: str) -> None:
        if self.bar is not None:
            self.bar.write(text, file=self.stream)
        else:
            self.stream.write(text + "\n")
            self.stream.flush()

    def __call__(self, event: datafetch.ProgressEvent) -> None:
        dest = event.entry.dest
        if event.kind == "fail":  # failures are reported at every verbosity
            self.close()
            self.line(f"FAILED {event.message}")
            return
        if self.verbosity < 1:
            return
        if event.kind == "unfetchable":
            if self.verbosity >= 2 and event.message:
                self.line(f"not fetchable, skipped {dest}: {event.message}")
            else:
                self.line(f"not fetchable, skipped {dest} (see docs/data.md)")
        elif event.kind == "skip":
            if self.verbosity >= 2:
                self.line(f"present, skipped {dest}")
        elif event.kind == "start":
            if self.bars:
                self.bar = tqdm(
                    total=event.total,
                    desc=dest,
                    unit="B",
                    unit_scale=True,
                    unit_divisor=1024,
                    file=self.stream,
                    leave=True,
                    dynamic_ncols=True,
                )
        elif event.kind == "chunk":
            if self.bar is not None:
                self.bar.update(event.nbytes)
        elif event.kind == "done":
            self.close()
            if not self.bars:
                self.line(f"downloaded {dest} ({event.total} bytes)")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _is_terminal(stream) -> bool:
    """A terminal tqdm can draw on (a pseudo-terminal of width 0 gets plain lines)."""
    try:
        return stream.isatty() and os.get_terminal_size(stream.fileno()).columns > 0
    except (AttributeError, OSError, ValueError):
        return False

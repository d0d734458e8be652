"""Shared start-up helpers of the benchmarks in ``bench/`` (sync.py, intake.py).

A fresh PostgreSQL database (or the embedded SQLite one), ``sejuk demo
--prepare-only`` and gunicorn on a free port of 127.0.0.1, the server log
checks and the clean-up at the end of a run.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable, Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


class BenchError(Exception):
    pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def _with_dbname(url: str, name: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


def database_url_from(arg: str | None) -> tuple[str | None, str]:
    """(``--database-url`` or ``$DATABASE_URL`` or None, backend name)."""
    database_url = arg or os.environ.get("DATABASE_URL") or None
    if database_url and not database_url.startswith(("postgres://", "postgresql://")):
        raise BenchError("--database-url must be postgres://… (leave it out for SQLite)")
    return database_url, "postgresql" if database_url else "sqlite"


class PostgresDatabase:
    """A fresh database on the server of ``admin_url``, dropped on close."""

    def __init__(self, admin_url: str):
        import psycopg

        self.psycopg = psycopg
        self.admin_url = admin_url
        self.name = f"sejuk_bench_{secrets.token_hex(4)}"
        self.url = _with_dbname(admin_url, self.name)
        self.created = False

    def create(self) -> None:
        with self.psycopg.connect(self.admin_url, autocommit=True, connect_timeout=10) as c:
            c.execute(f'CREATE DATABASE "{self.name}"')
        self.created = True
        log(f"created database {self.name}")

    def drop(self) -> None:
        if not self.created:
            return
        with self.psycopg.connect(self.admin_url, autocommit=True, connect_timeout=10) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self.created = False
        log(f"dropped database {self.name}")


def server_env(
    state_dir: Path, database_url: str | None, extra: dict[str, str] | None = None
) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("DATABASE_URL", "SEJUK_DEBUG", "SEJUK_HTTPS", "SEJUK_SECURE_COOKIES"):
        env.pop(name, None)
    env["SEJUK_STATE_DIR"] = str(state_dir)
    env.setdefault("SEJUK_ALLOWED_HOSTS", "127.0.0.1,localhost")
    if database_url:
        env["DATABASE_URL"] = database_url
    env.update(extra or {})
    env["PYTHONUNBUFFERED"] = "1"
    return env


class Server:
    """``sejuk demo --prepare-only`` then a WSGI server on 127.0.0.1:<free port>.

    ``kind`` is ``gunicorn`` (``gunicorn_args`` follow ``--bind``: workers,
    threads, ...) or ``granian`` (``granian_args`` follow the bind options:
    ``--workers``, ``--blocking-threads``, ...), the server ``sejuk demo``
    runs. ``extra_env`` is added to the server's environment;
    ``stop_timeout`` is how long a graceful stop (SIGTERM) may take before the
    session is killed. The server runs in its own session: ``pids()`` are its
    processes (master and workers), whatever their command lines.
    """

    def __init__(
        self,
        state_dir: Path,
        database_url: str | None,
        gunicorn_args: Sequence[str] = ("--workers", "2", "--threads", "4"),
        *,
        kind: str = "gunicorn",
        granian_args: Sequence[str] = ("--workers", "2", "--blocking-threads", "4"),
        extra_env: dict[str, str] | None = None,
        stop_timeout: float = 30,
    ):
        if kind not in ("gunicorn", "granian"):
            raise BenchError(f"unknown server {kind!r}: gunicorn or granian")
        self.kind = kind
        self.granian_args = list(granian_args)
        self.state_dir = state_dir
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = server_env(state_dir, database_url, extra_env)
        self.gunicorn_args = list(gunicorn_args)
        self.stop_timeout = stop_timeout
        self.proc: subprocess.Popen | None = None
        self.log_path = state_dir / f"{kind}.log"
        self._log_file = None

    def prepare(self) -> float:
        t0 = time.monotonic()
        res = subprocess.run(
            [sys.executable, "-m", "sejuk", "demo", "--prepare-only"],
            env=self.env,
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=900,
        )
        if res.returncode != 0:
            raise BenchError(
                f"sejuk demo --prepare-only failed ({res.returncode}):\n{res.stderr[-3000:]}"
            )
        return time.monotonic() - t0

    def start(self, timeout: float = 90) -> None:
        self._log_file = open(self.log_path, "wb")  # noqa: SIM115
        if self.kind == "granian":
            cmd = [sys.executable, "-m", "granian", "--interface", "wsgi", "--no-ws",
                   "--host", "127.0.0.1", "--port", str(self.port), *self.granian_args,
                   "sejuk.wsgi:application"]  # fmt: skip
        else:
            cmd = [sys.executable, "-m", "gunicorn", "sejuk.wsgi:application",
                   "--bind", f"127.0.0.1:{self.port}", *self.gunicorn_args,
                   # Several gunicorns on one machine would share ~/.gunicorn/gunicorn.ctl.
                   "--no-control-socket"]  # fmt: skip
        self.proc = subprocess.Popen(
            cmd,
            env=self.env,
            cwd=REPO_ROOT,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(
                    f"{self.kind} exited with {self.proc.returncode}:\n{self.log_tail()}"
                )
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                c.request("GET", "/healthz")
                r = c.getresponse()
                r.read()
                c.close()
                if r.status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise BenchError(f"GET /healthz did not answer 200 within {timeout:.0f} s")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # graceful: requests in flight finish
            try:
                proc.wait(timeout=self.stop_timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)  # our own session: master + workers
                proc.wait(timeout=10)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def pids(self) -> list[int]:
        """The server's processes: every process of its session."""
        if self.proc is None:
            return []
        out = []
        for d in Path("/proc").iterdir():
            if d.name.isdigit():
                try:
                    if int((d / "stat").read_text().rsplit(")", 1)[1].split()[3]) == self.proc.pid:
                        out.append(int(d.name))
                except (OSError, IndexError, ValueError):
                    continue
        return out

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def log_tail(self, chars: int = 3000) -> str:
        return self.log_text()[-chars:]


def server_log_findings(text: str) -> dict[str, int]:
    patterns = {
        "tracebacks": r"Traceback \(most recent call last\)",
        "database_is_locked": r"database is locked",
        "internal_server_error": r"Internal Server Error",
        "worker_timeout": r"WORKER TIMEOUT",
        "integrity_error": r"IntegrityError",
        "deadlock": r"deadlock detected",
    }
    return {k: len(re.findall(p, text)) for k, p in patterns.items()}


def tear_down(
    server: Server | None, pg: PostgresDatabase | None, state_dir: Path, keep_state: bool
) -> None:
    """Stop the server, drop the bench database, remove (or keep) the state dir."""
    if server is not None:
        server.stop()
    if pg is not None:
        try:
            pg.drop()
        except Exception as exc:  # noqa: BLE001
            log(f"could not drop {pg.name}: {exc}")
    if keep_state:
        log(f"state kept in {state_dir}")
    else:
        shutil.rmtree(state_dir, ignore_errors=True)


def run_main(run: Callable[[], int], script: str) -> int:
    """Run ``run`` with SIGTERM turned into SystemExit (so clean-up runs); exit 2 on BenchError."""

    def _term(signum, frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _term)
    try:
        return run()
    except BenchError as exc:
        print(f"{script}: {exc}", file=sys.stderr)
        return 2


def new_parser(doc: str):
    """The command-line parser of a bench script, described by its docstring's first paragraph."""
    import argparse

    return argparse.ArgumentParser(description=doc.split("\n\n")[0])

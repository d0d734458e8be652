"""End-to-end fixtures: one real ``sejuk demo`` server per test session.

These tests never touch the Django test database. They start the demo exactly
as a person would (``python -m sejuk demo --port N``) in a throw-away state
directory, wait for ``/healthz`` and then talk to it over HTTP, with urllib or
with a real Chromium driven by Playwright.

With ``DATABASE_URL=postgres://...`` in the environment, a fresh database
``sejuk_e2e_<hex>`` is created on that server for the demo and dropped
afterwards; otherwise the demo uses SQLite in its state directory.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

E2E_DIR = Path(__file__).resolve().parent
STARTUP_TIMEOUT = 240.0
STOP_TIMEOUT = 20.0

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PHONE_VIEWPORT = {"width": 390, "height": 844}


def pytest_collection_modifyitems(config, items):
    # Every test under tests/e2e is an e2e test, even if a file forgets pytestmark.
    for item in items:
        if E2E_DIR in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.e2e)


@dataclass
class DemoServer:
    base_url: str
    port: int
    state_dir: Path
    log_path: Path
    process: subprocess.Popen
    database_url: str | None = None
    stdout_at_start: str = field(default="", repr=False)

    @property
    def output(self) -> str:
        """Everything the demo (and its web server and worker) wrote so far."""
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    # Alias matching the brief: the stdout text so far.
    @property
    def stdout(self) -> str:
        return self.output

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + "/" + path.lstrip("/")

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.output.splitlines()[-lines:])


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _is_postgres(url: str | None) -> bool:
    return bool(url) and urlsplit(url).scheme in ("postgres", "postgresql", "pgsql")


def _with_dbname(url: str, dbname: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + dbname, parts.query, parts.fragment))


def _pg_admin(url: str, statement) -> None:
    import psycopg

    # Normalise the scheme for libpq, which understands postgres(ql):// only.
    parts = urlsplit(url)
    conninfo = urlunsplit(("postgresql", *parts[1:]))
    with psycopg.connect(conninfo, autocommit=True, connect_timeout=10) as conn:
        conn.execute(statement)


def _tail(path: Path, lines: int = 60) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=3) as resp:  # noqa: S310
            return resp.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        # The demo's children are in its process group: take them down too.
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            proc.kill()
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def demo_server() -> Iterator[DemoServer]:
    state_dir = Path(tempfile.mkdtemp(prefix="sejuk-e2e-"))
    log_path = state_dir / "demo.log"
    parent_db_url = os.environ.get("DATABASE_URL") or None
    child_db_url: str | None = None
    drop_db = None

    if _is_postgres(parent_db_url):
        from psycopg import sql

        dbname = f"sejuk_e2e_{secrets.token_hex(6)}"
        _pg_admin(parent_db_url, sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
        child_db_url = _with_dbname(parent_db_url, dbname)

        def drop_db() -> None:
            _pg_admin(
                parent_db_url,
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname)),
            )

    env = os.environ.copy()
    env["SEJUK_STATE_DIR"] = str(state_dir)
    # tests/conftest.py sets SEJUK_TESTING=1 for the in-process tests; the demo
    # must run as it does for a person, with production password hashing.
    env.pop("SEJUK_TESTING", None)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("SEJUK_SECRET_KEY", None)
    if child_db_url:
        env["DATABASE_URL"] = child_db_url
    else:
        env.pop("DATABASE_URL", None)
    # SEJUK_DATA_DIR passes through unchanged when set.

    port = _free_port()
    base_url = f"http://127.0.0.1:{port}/"
    log = log_path.open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "sejuk", "demo", "--port", str(port), "--skip-model"],
        env=env,
        cwd=state_dir,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server = DemoServer(
        base_url=base_url,
        port=port,
        state_dir=state_dir,
        log_path=log_path,
        process=proc,
        database_url=child_db_url,
    )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if proc.poll() is not None:
                pytest.fail(
                    f"`sejuk demo` exited early with code {proc.returncode}; log tail:\n"
                    f"{_tail(log_path)}",
                    pytrace=False,
                )
            if _healthy(server.url("healthz")):
                break
            if time.monotonic() > deadline:
                pytest.fail(
                    f"`sejuk demo` did not answer /healthz within {STARTUP_TIMEOUT:.0f} s; "
                    f"log tail:\n{_tail(log_path)}",
                    pytrace=False,
                )
            time.sleep(0.5)
        server.stdout_at_start = server.output
        yield server
    finally:
        _stop(proc)
        log.close()
        if drop_db is not None:
            try:
                drop_db()
            except Exception as exc:  # noqa: BLE001 - teardown must not hide test results
                print(f"e2e: could not drop the test database: {exc}", file=sys.stderr)
        if os.environ.get("SEJUK_E2E_KEEP"):
            print(f"e2e: kept state dir {state_dir}", file=sys.stderr)
        else:
            shutil.rmtree(state_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser, demo_server):
    context = browser.new_context(
        viewport=PHONE_VIEWPORT,
        base_url=demo_server.base_url,
        locale="id-ID",
        timezone_id="Asia/Jakarta",
    )
    context.set_default_timeout(15_000)
    pg = context.new_page()
    try:
        yield pg
    finally:
        context.close()

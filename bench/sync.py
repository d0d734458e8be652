"""Benchmark the offline sync endpoint under retries, double taps and races.

Run from the repository root::

    .venv/bin/python bench/sync.py [--n 1000] [--threads 8] [--seed 20241114]
    .venv/bin/python bench/sync.py --database-url postgres://user@127.0.0.1:5432/postgres

What it does (see docs/fieldwork.md, "Offline sync protocol"):

1. Starts the real server: a fresh ``SEJUK_STATE_DIR`` (temporary directory),
   ``python -m sejuk demo --prepare-only``, then gunicorn with 2 workers x 4
   threads on a free port of 127.0.0.1. With ``--database-url postgres://...``
   (or ``$DATABASE_URL``) it creates a fresh database ``sejuk_bench_<hex>`` on
   that server first and drops it at the end (``WITH (FORCE)``). Without one it
   runs on the embedded SQLite database ``<state>/sejuk.sqlite3``.
2. Logs in as the Galur officer through the login form (a real session with
   CSRF), reads the titik rawan and contacts from ``GET /api/v1/field/bootstrap``.
3. Sends N distinct activities for Kelurahan Galur to
   ``POST /api/v1/field/activities/sync`` from ``--threads`` threads, each with
   its own keep-alive connections, with injected faults (fixed shares):

   * 20 % double tap: the same payload twice, back to back;
   * 10 % race: the same payload from two threads at the same moment;
   * 15 % lost response: the first attempt is cut off after sending (socket
     closed, or a 1 ms read timeout), then the same payload is retried;
   * 5 % offline edit: after a delay the same client_uuid is sent again with
     ``base_version=None`` and changed notes (expected: ``updated``, version 2).

   Every logical send is retried with back-off on connection errors and 5xx
   (at most ``--max-attempts`` attempts; the whole run stops at ``--timeout``).
4. Stops the server and verifies the database directly (sqlite3 / psycopg):
   one row per client_uuid, no losses, every complaint exactly once (with one
   ``open`` event), one visit per activity, versions and revisions consistent,
   the edits at version 2 with the new notes.

Exit status: 0 all clean; 1 the data is wrong (duplicates, losses, complaint
or version mismatches) or submissions never succeeded; 3 the data is right but
the server answered 5xx or logged tracebacks on the way; 2 setup failed.

Latency is measured for every HTTP attempt that got a response (the attempts
cut off on purpose by the lost-response simulation are counted, not timed).
Throughput is distinct submissions that ended in a 200/201, divided by the wall
time of the sending phase (from the first request until the last edit).
The last line printed is a JSON summary.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import heapq
import http.client
import json
import random
import re
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from collections import Counter, deque
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _stack import (  # noqa: E402
    BenchError,
    PostgresDatabase,
    Server,
    database_url_from,
    log,
    new_parser,
    run_main,
    server_log_findings,
    tear_down,
)

USERNAME = "galur"
PASSWORD = "sejuk-demo-2024"
KELURAHAN = "31.71.08.1003"  # Galur, Johar Baru, Jakarta Pusat
SYNC_PATH = "/api/v1/field/activities/sync"
WIB = dt.timezone(dt.timedelta(hours=7))

KINDS = ("patroli", "sambang", "dialog", "imbauan")
TOPIC_KEYS = (
    "cooling_system",
    "hoaks",
    "provokasi",
    "politik_uang",
    "sara",
    "kamtibmas",
    "tps",
    "narkoba",
    "tawuran",
    "lapor_110",
)
APPEALS = (
    "Jangan terprovokasi isu negatif di media sosial",
    "Tolak politik uang, laporkan ke Bawaslu",
    "Jaga kerukunan warga menjelang pemungutan suara",
    "Segera hubungi 110 bila ada gangguan kamtibmas",
    "Cek fakta sebelum membagikan berita",
)
PEOPLE = (
    "Ketua RT 05 Ujang dan warga",
    "Pengurus masjid dan jamaah",
    "Ketua RW 02 dan karang taruna",
    "Pedagang pasar dan juru parkir",
    "Pengemudi ojek pangkalan",
)
COMPLAINTS = (
    ("Lampu jalan mati", "Gang gelap di malam hari, rawan begal"),
    ("Spanduk provokatif", "Spanduk tanpa izin di dekat posko"),
    ("Balap liar", "Balap liar tiap malam Minggu"),
    ("Sampah menumpuk", "Tumpukan sampah dekat TPS"),
    ("Parkir liar", "Parkir liar menutup jalan masuk gang"),
)
PLAIN, DOUBLE, RACE, LOST, EDIT = "plain", "double_tap", "race", "lost_response", "offline_edit"
FAULT_SHARES = ((DOUBLE, 0.20), (RACE, 0.10), (LOST, 0.15), (EDIT, 0.05))
SYNC_STATUSES = ("created", "duplicate", "updated", "merged")


# --- HTTP client -----------------------------------------------------------------


class Session:
    """Cookies and CSRF token of one logged-in browser session (shared by threads)."""

    def __init__(self, base: str, port: int):
        self.base = base
        self.port = port
        self.cookies: dict[str, str] = {}

    def _take_cookies(self, resp: http.client.HTTPResponse) -> None:
        for header in resp.headers.get_all("Set-Cookie") or []:
            c = SimpleCookie()
            c.load(header)
            for k, morsel in c.items():
                self.cookies[k] = morsel.value

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def _get(self, conn, path: str) -> tuple[int, bytes]:
        conn.request("GET", path, headers={"Cookie": self.cookie_header()})
        r = conn.getresponse()
        body = r.read()
        self._take_cookies(r)
        return r.status, body

    def login(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            status, body = self._get(conn, "/login/")
            if status != 200:
                raise BenchError(f"GET /login/ answered {status}")
            m = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
            if not m or "csrftoken" not in self.cookies:
                raise BenchError("GET /login/ gave no csrftoken cookie or form token")
            form = urllib.parse.urlencode(
                {
                    "csrfmiddlewaretoken": m.group(1).decode(),
                    "username": USERNAME,
                    "password": PASSWORD,
                    "next": "",
                }
            )
            conn.request(
                "POST",
                "/login/",
                body=form,
                headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Cookie": self.cookie_header(),
                    "Referer": f"{self.base}/login/",
                    "Origin": self.base,
                },
            )
            r = conn.getresponse()
            r.read()
            self._take_cookies(r)
            if r.status != 302 or "sessionid" not in self.cookies:
                raise BenchError(f"login as {USERNAME} failed: HTTP {r.status}")
        finally:
            conn.close()

    def get_json(self, path: str):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            status, body = self._get(conn, path)
        finally:
            conn.close()
        if status != 200:
            raise BenchError(f"GET {path} answered {status}: {body[:300]!r}")
        return json.loads(body)

    def post_headers(self) -> dict[str, str]:
        return {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Cookie": self.cookie_header(),
            "X-CSRFToken": self.cookies["csrftoken"],
            "Referer": f"{self.base}/field/",
            "Origin": self.base,
        }


class Conn:
    """One keep-alive connection, reopened when broken or idle near gunicorn's keepalive."""

    IDLE_REOPEN_S = 1.5  # gunicorn closes idle keep-alive connections after 2 s

    def __init__(self, port: int, timeout: float = 60):
        self.port = port
        self.timeout = timeout
        self.conn: http.client.HTTPConnection | None = None
        self.last_used = 0.0

    def get(self) -> http.client.HTTPConnection:
        if self.conn is not None and time.monotonic() - self.last_used > self.IDLE_REOPEN_S:
            self.drop()
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            self.conn.connect()
            self.last_used = time.monotonic()
        return self.conn

    def used(self) -> None:
        self.last_used = time.monotonic()

    def drop(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(OSError):
                self.conn.close()
            self.conn = None


# --- workload ------------------------------------------------------------------------


@dataclass
class Item:
    index: int
    fault: str
    payload: dict
    edit_payload: dict | None = None
    lost_mode: str | None = None  # "close" or "timeout" for the lost-response fault
    edit_delay: float = 0.0


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _ts(value: dt.datetime) -> str:
    return value.isoformat(timespec="seconds")


def make_items(n: int, seed: int, titik: list[dict], contacts: list[int]) -> list[Item]:
    rng = random.Random(seed)
    faults = [PLAIN] * n
    order = list(range(n))
    rng.shuffle(order)
    pos = 0
    for fault, share in FAULT_SHARES:
        k = round(n * share)
        for i in order[pos : pos + k]:
            faults[i] = fault
        pos += k
    items = []
    for i in range(n):
        day = rng.randint(1, 30)
        start = dt.datetime(
            2024, 11, day, rng.randint(6, 20), rng.choice((0, 15, 30, 45)), tzinfo=WIB
        )
        end = start + dt.timedelta(minutes=rng.choice((30, 45, 60, 90, 120, 180)))
        edited = end + dt.timedelta(minutes=rng.randint(1, 30))
        t = rng.choice(titik)
        far = rng.random() < 0.1  # some check-ins ~300 m away: flagged by the server
        dlat = rng.uniform(0.0025, 0.003) if far else rng.uniform(-0.0003, 0.0003)
        payload = {
            "client_uuid": _uuid(rng),
            "base_version": None,
            "client_edited_at": _ts(edited),
            "kind": rng.choice(KINDS),
            "started_at": _ts(start),
            "ended_at": _ts(end),
            "kelurahan": KELURAHAN,
            "location_text": f"{t['name']}, RT {rng.randint(1, 15):02d} RW 02",
            "people_met": rng.choice(PEOPLE),
            "people_count": rng.randint(1, 60),
            "contact_ids": [rng.choice(contacts)] if contacts and rng.random() < 0.3 else [],
            "topics": sorted(rng.sample(TOPIC_KEYS, rng.randint(1, 3))),
            "topics_other": "",
            "appeals": rng.choice(APPEALS),
            "notes": f"bench #{i}: situasi aman terkendali ({rng.getrandbits(32):08x})",
            "follow_up_needed": rng.random() < 0.3,
            "visits": [
                {
                    "titik_id": t["id"],
                    "checkin_at": _ts(start + dt.timedelta(minutes=rng.randint(0, 25))),
                    "lat": round(t["lat"] + dlat, 6),
                    "lon": round(t["lon"] + rng.uniform(-0.0003, 0.0003), 6),
                    "accuracy_m": rng.randint(4, 30),
                }
            ],
            "complaints": [],
        }
        if rng.random() < 0.3:
            summary, details = rng.choice(COMPLAINTS)
            payload["complaints"].append(
                {
                    "client_uuid": _uuid(rng),
                    "summary": summary,
                    "details": details,
                    "raised_by": f"Ketua RT {rng.randint(1, 15):02d}",
                    "due_date": (start.date() + dt.timedelta(days=7)).isoformat(),
                }
            )
        item = Item(i, faults[i], payload)
        if item.fault == LOST:
            item.lost_mode = rng.choice(("close", "timeout"))
        elif item.fault == EDIT:
            edit = dict(payload)
            edit["base_version"] = None
            edit["notes"] = payload["notes"] + " [diedit offline: warga minta patroli malam]"
            edit["client_edited_at"] = _ts(edited + dt.timedelta(hours=rng.randint(1, 20)))
            item.edit_payload = edit
            item.edit_delay = rng.uniform(0.5, 3.0)
        items.append(item)
    return items


class WorkQueue:
    """The submissions in order, plus edits that become due after a delay."""

    def __init__(self, items: list[Item], deadline: float):
        self.main = deque(("first", it) for it in items)
        self.delayed: list[tuple[float, int, Item]] = []
        self.outstanding = len(items)
        self.deadline = deadline
        self.cv = threading.Condition()

    def get(self):
        with self.cv:
            while True:
                now = time.monotonic()
                if now > self.deadline:
                    return None
                if self.delayed and self.delayed[0][0] <= now:
                    return "edit", heapq.heappop(self.delayed)[2]
                if self.main:
                    return self.main.popleft()
                if self.outstanding == 0:
                    return None
                wait = self.delayed[0][0] - now if self.delayed else 0.5
                self.cv.wait(timeout=max(0.001, min(wait, 0.5)))

    def add_delayed(self, item: Item) -> None:
        with self.cv:
            heapq.heappush(self.delayed, (time.monotonic() + item.edit_delay, item.index, item))
            self.outstanding += 1
            self.cv.notify_all()

    def done(self) -> None:
        with self.cv:
            self.outstanding -= 1
            self.cv.notify_all()


@dataclass
class Stats:
    lock: threading.Lock = field(default_factory=threading.Lock)
    latencies_ms: list[float] = field(default_factory=list)
    latencies_by_tag: dict = field(default_factory=dict)  # fault kind -> [ms]
    requests: int = 0
    aborted: int = 0  # attempts cut off on purpose (lost-response simulation)
    retries: Counter = field(default_factory=Counter)  # by cause
    http_codes: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    error_kinds: Counter = field(default_factory=Counter)
    created_by_uuid: Counter = field(default_factory=Counter)
    succeeded: set = field(default_factory=set)
    failed: dict = field(default_factory=dict)  # uuid -> reason
    edit_results: dict = field(default_factory=dict)  # uuid -> [(status, version)]
    first_t: float | None = None
    last_t: float = 0.0

    errors_by_fault: Counter = field(default_factory=Counter)

    def error(self, kind: str, text: str, tag: str = "") -> None:
        with self.lock:
            self.error_kinds[kind] += 1
            if tag:
                self.errors_by_fault[f"{kind} on {tag}"] += 1
            if len(self.errors) < 40:
                self.errors.append(text)


class Client:
    def __init__(self, session: Session, stats: Stats, max_attempts: int, deadline: float):
        self.session = session
        self.stats = stats
        self.max_attempts = max_attempts
        self.deadline = deadline
        self.headers = session.post_headers()

    def submit(
        self, conn: Conn, payload: dict, *, tag: str = PLAIN, lost_mode: str | None = None
    ) -> dict | None:
        """Send one payload until it gets a 200/201 (or gives up). Returns the answer."""
        key = payload["client_uuid"]
        body = json.dumps(payload).encode()
        st = self.stats
        cause = None
        for attempt in range(1, self.max_attempts + 1):
            if attempt > 1:
                with st.lock:
                    st.retries[cause] += 1
                if cause != "lost_response":
                    time.sleep(min(2.0, 0.05 * 2 ** (attempt - 2)) * random.uniform(0.5, 1.0))
            if time.monotonic() > self.deadline:
                break
            mode = lost_mode if attempt == 1 else None
            c = None
            t0 = time.perf_counter()
            try:
                c = conn.get()
                with st.lock:
                    st.requests += 1
                    if st.first_t is None:
                        st.first_t = time.monotonic()
                c.request("POST", SYNC_PATH, body=body, headers=self.headers)
                if mode == "close":
                    conn.drop()  # the phone lost the connection right after sending
                    with st.lock:
                        st.aborted += 1
                    cause = "lost_response"
                    continue
                if mode == "timeout":
                    c.sock.settimeout(0.001)
                resp = c.getresponse()
                data = resp.read()
                if mode == "timeout":
                    c.sock.settimeout(conn.timeout)
            except (OSError, http.client.HTTPException) as exc:
                conn.drop()
                if mode == "timeout" and isinstance(exc, TimeoutError):
                    with st.lock:
                        st.aborted += 1
                    cause = "lost_response"
                else:
                    cause = "connection_error"
                    st.error("connection_error", f"{key}: {type(exc).__name__}: {exc}", tag)
                continue
            ms = (time.perf_counter() - t0) * 1000
            conn.used()
            if resp.will_close:
                conn.drop()
            code = resp.status
            with st.lock:
                st.latencies_ms.append(ms)
                st.latencies_by_tag.setdefault(tag, []).append(ms)
                st.http_codes[code] += 1
            if code in (200, 201):
                try:
                    answer = json.loads(data)
                except ValueError:
                    st.error("bad_json", f"{key}: HTTP {code} with a non-JSON body {data[:200]!r}")
                    cause = "bad_json"
                    continue
                with st.lock:
                    st.statuses[answer.get("status")] += 1
                    if answer.get("status") == "created":
                        st.created_by_uuid[key] += 1
                    if (code == 201) != (answer.get("status") == "created"):
                        st.error("code_mismatch", f"{key}: HTTP {code} for {answer.get('status')}")
                    st.last_t = time.monotonic()
                return answer
            text = data[:2000].decode("utf-8", "replace")
            if m := re.search(r"<title>(.*?)</title>", text, re.S):
                text = f"(HTML) {m.group(1).strip()}"
            text = " ".join(text.split())[:300]
            if code >= 500 or code in (408, 429):
                st.error(
                    f"http_{code}", f"{key} ({tag}, attempt {attempt}): HTTP {code}: {text}", tag
                )
                cause = f"http_{code}"
                continue
            st.error(f"http_{code}", f"{key} ({tag}): HTTP {code} (not retried): {text}", tag)
            with st.lock:
                st.failed[key] = f"HTTP {code}"
            return None
        with st.lock:
            st.failed[key] = f"gave up after {self.max_attempts} attempts ({cause})"
        return None


def worker(queue: WorkQueue, client: Client, port: int, stats: Stats) -> None:
    main, partner = Conn(port), Conn(port)
    try:
        while (task := queue.get()) is not None:
            what, item = task
            try:
                run_task(what, item, client, main, partner, queue, stats)
            except Exception as exc:  # a bug in the bench: record it, keep going
                stats.error("bench_exception", f"{item.payload['client_uuid']}: {exc!r}")
            finally:
                queue.done()
    finally:
        main.drop()
        partner.drop()


def run_task(what, item: Item, client: Client, main: Conn, partner: Conn, queue, stats) -> None:
    key = item.payload["client_uuid"]
    if what == "edit":
        answer = client.submit(main, item.edit_payload, tag=EDIT)
        if answer is not None:
            with stats.lock:
                stats.edit_results.setdefault(key, []).append(
                    (answer.get("status"), answer.get("version"))
                )
        return
    ok = False
    if item.fault == RACE:
        # Two threads, two connections, released by one barrier.
        barrier = threading.Barrier(2, timeout=30)
        other: list = []

        def second():
            partner.get()
            barrier.wait()
            other.append(client.submit(partner, item.payload, tag=RACE))

        t = threading.Thread(target=second, name=f"race-{item.index}")
        t.start()
        main.get()
        barrier.wait()
        a = client.submit(main, item.payload, tag=RACE)
        t.join()
        ok = a is not None or (other and other[0] is not None)
    elif item.fault == DOUBLE:
        a = client.submit(main, item.payload, tag=DOUBLE)
        b = client.submit(main, item.payload, tag=DOUBLE)
        ok = a is not None or b is not None
    else:
        ok = client.submit(main, item.payload, tag=item.fault, lost_mode=item.lost_mode)
        ok = ok is not None
    if ok:
        with stats.lock:
            stats.succeeded.add(key)
            stats.failed.pop(key, None)
    if item.fault == EDIT:
        queue.add_delayed(item)


# --- verification ------------------------------------------------------------------------


def _hex(value) -> str:
    return uuid.UUID(str(value)).hex


def fetch_db(database_url: str | None, state_dir: Path) -> dict:
    """Rows needed for the checks, straight from the database."""
    queries = {
        "activities": "SELECT id, client_uuid, version, notes FROM fieldwork_activity",
        "complaints": "SELECT id, client_uuid, activity_id FROM fieldwork_fieldcomplaint",
        "events": "SELECT complaint_id, to_status FROM fieldwork_complaintevent",
        "visits": "SELECT activity_id, titik_id FROM fieldwork_visit",
        "revisions": "SELECT activity_id, version FROM fieldwork_activityrevision",
    }
    out = {}
    if database_url:
        import psycopg

        with psycopg.connect(database_url, connect_timeout=10) as c:
            for name, sql in queries.items():
                out[name] = c.execute(sql).fetchall()
    else:
        import sqlite3

        path = state_dir / "sejuk.sqlite3"
        c = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
        try:
            for name, sql in queries.items():
                out[name] = c.execute(sql).fetchall()
        finally:
            c.close()
    return out


def verify(rows: dict, items: list[Item], baseline_activities: int) -> dict:
    bench = {_hex(it.payload["client_uuid"]): it for it in items}
    acts = [(aid, _hex(u), version, notes) for aid, u, version, notes in rows["activities"]]
    total, distinct_all = len(acts), len({a[1] for a in acts})
    mine = [a for a in acts if a[1] in bench]
    per_uuid = Counter(a[1] for a in mine)
    res: dict = {
        "rows": len(mine),
        "distinct": len(per_uuid),
        "table_total": total,
        "baseline": baseline_activities,
        # Extra rows for one client_uuid (bench rows, or any row of the table).
        "duplicates": max(len(mine) - len(per_uuid), total - distinct_all),
        "lost": len(bench) - len(per_uuid),
        "problems": [],
    }
    if total - baseline_activities != len(per_uuid):
        res["problems"].append(
            f"table has {total} activities, expected {baseline_activities} + {len(per_uuid)}"
        )
    by_id = {}
    for aid, u, version, notes in mine:
        by_id[aid] = u
        it = bench[u]
        if it.fault == EDIT:
            want_v, want_notes = 2, it.edit_payload["notes"]
        else:
            want_v, want_notes = 1, it.payload["notes"]
        if version != want_v or notes != want_notes:
            res["problems"].append(
                f"{it.payload['client_uuid']} ({it.fault}): version {version}, "
                f"notes {notes!r}; expected version {want_v}, notes {want_notes!r}"
            )
    res["edited_ok"] = sum(
        1
        for aid, u, version, notes in mine
        if bench[u].fault == EDIT and version == 2 and notes == bench[u].edit_payload["notes"]
    )
    res["edits"] = sum(1 for it in items if it.fault == EDIT)

    # Complaints: exactly once per complaint uuid, on the right activity, one "open" event.
    want_c = {
        _hex(c["client_uuid"]): _hex(it.payload["client_uuid"])
        for it in items
        for c in it.payload["complaints"]
    }
    got_c = Counter()
    complaint_ids = {}
    for cid, u, activity_id in rows["complaints"]:
        u = _hex(u)
        if u in want_c:
            got_c[u] += 1
            complaint_ids[cid] = u
            if by_id.get(activity_id) != want_c[u]:
                res["problems"].append(f"complaint {u} is on activity {activity_id}, not its own")
    res["complaints_expected"] = len(want_c)
    res["complaints_present"] = len(got_c)
    res["complaints_missing"] = len(want_c) - len(got_c)
    res["complaints_duplicated"] = sum(v - 1 for v in got_c.values())
    events = Counter(cid for cid, to in rows["events"] if cid in complaint_ids and to == "open")
    res["complaint_event_problems"] = sum(1 for cid in complaint_ids if events[cid] != 1)

    visits = Counter(aid for aid, _t in rows["visits"] if aid in by_id)
    res["visit_problems"] = sum(1 for aid in by_id if visits[aid] != 1)
    revs: dict[int, list[int]] = {}
    for aid, version in rows["revisions"]:
        if aid in by_id:
            revs.setdefault(aid, []).append(version)
    versions = {aid: v for aid, _u, v, _n in mine}
    res["revision_problems"] = sum(
        1 for aid in by_id if sorted(revs.get(aid, [])) != list(range(1, versions[aid] + 1))
    )
    for k in ("complaint_event_problems", "visit_problems", "revision_problems"):
        if res[k]:
            res["problems"].append(f"{k}: {res[k]}")
    return res


# --- report ------------------------------------------------------------------------------------


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, round(p / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[k]


def traceback_groups(text: str) -> list[tuple[int, str, str]]:
    """(count, exception line, app frames) for the tracebacks in the server log."""
    groups: Counter = Counter()
    frame_re = re.compile(r'File "([^"]+)", line (\d+), in (\S+)')
    for chunk in text.split("Traceback (most recent call last):")[1:]:
        frames, exc = [], "?"
        for line in chunk.splitlines()[1:]:
            if m := frame_re.search(line):
                path = m.group(1)
                if "/sejuk/" in path and "site-packages" not in path:
                    frames.append(f"{path.split('/sejuk/', 1)[1]}:{m.group(2)} {m.group(3)}")
            elif line and not line[0].isspace():
                exc = line.strip()[:240]
                break
        groups[(exc, " > ".join(frames))] += 1
    return [(n, exc, frames) for (exc, frames), n in groups.most_common()]


def run(args) -> int:
    database_url, backend = database_url_from(args.database_url)
    state_dir = Path(tempfile.mkdtemp(prefix="sejuk-bench-sync-"))
    pg = PostgresDatabase(database_url) if database_url else None
    server = None
    code = 1
    try:
        if pg:
            pg.create()
        server = Server(state_dir, pg.url if pg else None)
        log(f"{backend}: preparing the demo database in {state_dir}")
        prep_s = server.prepare()
        log(f"prepared in {prep_s:.1f} s; starting gunicorn on {server.base}")
        server.start()
        session = Session(server.base, server.port)
        session.login()
        boot = session.get_json("/api/v1/field/bootstrap")
        titik = [t for t in boot["titik"] if t["kelurahan"] == KELURAHAN]
        contacts = [c["id"] for c in boot["contacts"] if c["kelurahan"] == KELURAHAN]
        if not titik:
            raise BenchError("bootstrap lists no active titik rawan in Galur")
        baseline = len(fetch_db(pg.url if pg else None, state_dir)["activities"])
        items = make_items(args.n, args.seed, titik, contacts)
        faults = Counter(it.fault for it in items)
        n_complaints = sum(len(it.payload["complaints"]) for it in items)
        log(
            f"sending {args.n} submissions from {args.threads} threads "
            f"({', '.join(f'{k} {v}' for k, v in sorted(faults.items()))}; "
            f"{n_complaints} with a complaint; titik {[t['id'] for t in titik]})"
        )

        stats = Stats()
        start = time.monotonic()
        deadline = start + args.timeout
        client = Client(session, stats, args.max_attempts, deadline)
        queue = WorkQueue(items, deadline)
        threads = [
            threading.Thread(target=worker, args=(queue, client, server.port, stats), name=f"w{i}")
            for i in range(args.threads)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = max(1e-9, (stats.last_t or time.monotonic()) - (stats.first_t or start))
        timed_out = time.monotonic() > deadline
        server.stop()
        log_findings = server_log_findings(server.log_text())

        rows = fetch_db(pg.url if pg else None, state_dir)
        v = verify(rows, items, baseline)

        lat = sorted(stats.latencies_ms)
        p50, p90, p99 = (percentile(lat, p) for p in (50, 90, 99))
        mx = lat[-1] if lat else float("nan")
        done = len(stats.succeeded)
        throughput = done / wall
        retries = sum(stats.retries.values())
        double_created = sum(1 for c in stats.created_by_uuid.values() if c > 1)
        unfinished = len(items) - done
        edits_not_updated = sum(
            1
            for it in items
            if it.fault == EDIT
            and not any(
                s == "updated" and ver == 2
                for s, ver in stats.edit_results.get(it.payload["client_uuid"], [])
            )
        )
        n_errors = sum(stats.error_kinds.values())

        print(
            f"== sync bench: {backend}, {args.n} submissions, {args.threads} threads, "
            f"seed {args.seed}, gunicorn 2 workers x 4 threads =="
        )
        print(
            f"faults: {', '.join(f'{k} {faults.get(k, 0)}' for k in (PLAIN, DOUBLE, RACE, LOST, EDIT))}"
            f"; {n_complaints} with a complaint"
        )
        print(
            f"wall time: {wall:.2f} s; throughput: {throughput:.1f} submissions/s "
            f"({stats.requests / wall:.1f} requests/s)"
        )
        print(
            f"HTTP requests: {stats.requests} ({len(lat)} answered, {stats.aborted} cut off "
            f"by the lost-response simulation)"
        )
        print(
            f"retries: {retries} ({', '.join(f'{k} {c}' for k, c in sorted(stats.retries.items())) or 'none'})"
        )
        print(f"latency ms: p50 {p50:.1f}, p90 {p90:.1f}, p99 {p99:.1f}, max {mx:.1f}")
        by_tag = []
        for tag in (PLAIN, DOUBLE, RACE, LOST, EDIT):
            vals = sorted(stats.latencies_by_tag.get(tag, []))
            if vals:
                by_tag.append(
                    f"{tag} {percentile(vals, 50):.0f}/{percentile(vals, 99):.0f}/{vals[-1]:.0f}"
                )
        print(f"  p50/p99/max by fault: {'; '.join(by_tag)}")
        print(f"HTTP codes: {', '.join(f'{k}: {c}' for k, c in sorted(stats.http_codes.items()))}")
        print(
            "statuses: "
            + ", ".join(f"{s} {stats.statuses.get(s, 0)}" for s in SYNC_STATUSES)
            + "".join(f", {s} {c}" for s, c in stats.statuses.items() if s not in SYNC_STATUSES)
        )
        print(
            f"errors: {n_errors}"
            + (
                f" ({', '.join(f'{k} {c}' for k, c in sorted(stats.error_kinds.items()))})"
                if n_errors
                else ""
            )
        )
        for e in stats.errors[:10]:
            print(f"  {e}")
        print(
            f"unfinished submissions: {unfinished}{' (global timeout hit)' if timed_out else ''}; "
            f"uuids answered 'created' more than once: {double_created}; "
            f"edits never answered 'updated' v2: {edits_not_updated}"
        )
        print(f"server log: {', '.join(f'{k} {c}' for k, c in log_findings.items())}")
        for n, exc, frames in traceback_groups(server.log_text())[:8]:
            print(f"  {n} x {exc}")
            print(f"      at {frames or '(no sejuk frames)'}")
        if stats.errors_by_fault:
            print(
                "errors by fault: "
                + ", ".join(f"{k} {c}" for k, c in sorted(stats.errors_by_fault.items()))
            )
        print(
            f"verify ({'psycopg' if pg else 'sqlite3'}): {v['rows']} rows for {v['distinct']} "
            f"bench client_uuids (expected {len(items)}); table {v['table_total']} "
            f"= {v['baseline']} demo + {v['table_total'] - v['baseline']}"
        )
        print(
            f"complaints: {v['complaints_present']}/{v['complaints_expected']} present, "
            f"{v['complaints_missing']} missing, {v['complaints_duplicated']} duplicated; "
            f"edits at version 2 with new notes: {v['edited_ok']}/{v['edits']}"
        )
        for p in v["problems"][:10]:
            print(f"  problem: {p}")
        if len(v["problems"]) > 10:
            print(f"  … and {len(v['problems']) - 10} more problems")
        print(f"duplicates: {v['duplicates']}, lost: {v['lost']}")

        failed = (
            v["duplicates"]
            or v["lost"]
            or v["problems"]
            or v["complaints_missing"]
            or v["complaints_duplicated"]
            or unfinished
            or double_created
        )
        server_errors = (
            sum(c for k, c in stats.http_codes.items() if k >= 500)
            + log_findings["tracebacks"]
            + log_findings["worker_timeout"]
        )
        code = 1 if failed else (3 if server_errors else 0)
        summary = {
            "backend": backend,
            "n": args.n,
            "requests": stats.requests,
            "retries": retries,
            "throughput_per_s": round(throughput, 1),
            "p50_ms": round(p50, 1),
            "p99_ms": round(p99, 1),
            "duplicates": v["duplicates"],
            "lost": v["lost"],
            "p90_ms": round(p90, 1),
            "max_ms": round(mx, 1),
            "errors": n_errors,
            "statuses": {s: stats.statuses.get(s, 0) for s in SYNC_STATUSES},
            "ok": code == 0,
        }
        print(json.dumps(summary))
        return code
    finally:
        tear_down(server, pg, state_dir, args.keep_state)


def parse_args(argv: list[str] | None):
    ap = new_parser(__doc__)
    ap.add_argument("--n", type=int, default=1000, help="distinct submissions (default 1000)")
    ap.add_argument("--threads", type=int, default=8, help="client threads (default 8)")
    ap.add_argument(
        "--database-url",
        help="postgres://… server to create a fresh database on "
        "(default: $DATABASE_URL, else SQLite)",
    )
    ap.add_argument("--seed", type=int, default=20241114)
    ap.add_argument("--max-attempts", type=int, default=20, help="per logical send (default 20)")
    ap.add_argument("--timeout", type=float, default=600, help="global limit in s (default 600)")
    ap.add_argument("--keep-state", action="store_true", help="keep the state dir (server log)")
    args = ap.parse_args(argv)
    if args.n < 1 or args.threads < 1:
        ap.error("--n and --threads must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return run_main(lambda: run(args), "bench/sync.py")


if __name__ == "__main__":
    sys.exit(main())

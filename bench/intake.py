"""Benchmark an election-day surge of citizen reports on ``POST /api/v1/reports``.

Run from the repository root::

    .venv/bin/python bench/intake.py                      # SQLite
    .venv/bin/python bench/intake.py --database-url postgres://sejuk@127.0.0.1:5432/postgres
    .venv/bin/python bench/intake.py --profile 500 --py-spy /path/to/py-spy   # + where time goes

Needs ``wrk`` (Debian package ``wrk``). When it is missing and the bench runs
as root it installs it with ``apt-get install -y wrk`` (``--no-install`` to
refuse); otherwise install it yourself. ``--py-spy`` needs py-spy (PyPI
package ``py-spy``, any virtualenv) and ptrace rights (root).

What it does:

1. Starts the real stack: a fresh ``SEJUK_STATE_DIR`` (temporary directory),
   ``python -m sejuk demo --prepare-only`` (real DKI Jakarta territory, demo
   organisation of Polres Metro Jakarta Pusat), then the web server ``sejuk
   demo`` runs, granian (``--interface wsgi``), on a free port of 127.0.0.1,
   ``--workers 2 --threads 4`` (granian's ``--blocking-threads``) by default:
   the request path is CPU-bound Python (one GIL per process), so a process
   per core, with threads to overlap the database waits. ``--server
   gunicorn`` runs gunicorn gthread instead (default 3 workers x 2 threads,
   its best layout here), for comparison. Then the intake worker
   (``sejuk db_worker``), whose CPU is counted too. With ``--database-url postgres://...`` (or
   ``$DATABASE_URL``) it first creates a fresh database ``sejuk_bench_<hex>``
   on that server and drops it at the end; without one it runs on the
   embedded SQLite database. The public rate limits are raised for the run
   (``SEJUK_PUBLIC_REPORTS_PER_HOUR_IP`` and ``SEJUK_PUBLIC_REPORTS_PER_DAY_PHONE``
   = 1000000000): all load comes from 127.0.0.1, and the bench measures intake,
   not the limiter's rejections (the limiter's counting still runs on every
   request).
2. Builds a pool of realistic, varied payloads from the database: points inside
   real DKI Jakarta kelurahan (centroid plus jitter, kept only when the point
   lies inside exactly one kelurahan, at least ~10 m from its border; 70 % in
   Jakarta Pusat, the demo Polres), so point-in-polygon routing runs on every
   such request; about 30 % without coordinates but with an address naming a
   Jakarta Pusat kelurahan and kecamatan (text routing); seven categories;
   descriptions in Indonesian; about a third anonymous, the rest with a name
   and a phone number (encrypted by the server).
3. Waits (``--wait-quiet``) until other processes leave the CPU idle, then runs
   wrk with ``bench/intake.lua``: a warm-up (``--warmup`` s, default 10), then
   the measured run (``--duration`` s, default 60, so it includes the routing
   caches' 60-s refresh) with ``--latency``, 2 threads x 32 connections (a
   closed loop: each connection sends its next report when the previous one
   is answered). Every request carries a unique ``client_key`` (the
   idempotency key), and the script records every key it sent and every
   (status, ticket) it read. CPU use during the run is split between the web
   server (every process of its session), the PostgreSQL backends of the
   bench database, the intake worker, wrk and everything else.
4. Stops the web server gracefully, waits until the worker has finished
   intake (no report pending), then COUNTS ROWS in
   the database (sqlite3 / psycopg): for the bench's rows ``count(*)``,
   ``count(distinct client_key)`` and ``count(distinct ticket)`` must be equal;
   every 201 ticket must be exactly one row (none lost); every row must be a
   key that was sent; rows whose response wrk never read (requests in flight
   when wrk's clock ran out) are counted and may be at most the number of
   connections. Each report must have exactly one "created" event (written by
   the worker's batch), and every
   point must have been routed to the kelurahan it was drawn in.
5. Where the time goes. ``--py-spy EXE`` samples the workers (``--gil``: the
   Python CPU time) during the measured run and prints the share of samples in
   each step. ``--profile N``, after the load run, sends N more reports
   in-process through Django's test client (one thread), with every SQL query
   timed and attributed to the step that ran it (rate limit, validation,
   routing, triage, SLA, ticket, encryption, insert, commit), and cProfile's
   top functions.

Exit status: 0 the data is right and no 5xx; 1 reports lost or duplicated (or
mis-routed); 3 the data is right but the server answered 5xx or logged
tracebacks; 4 with ``--require-target`` when the target (>= 300 reports/s with
p99 < 200 ms) is missed; 2 setup failed. The last line printed is a JSON summary.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _stack  # noqa: E402
from _stack import REPO_ROOT, BenchError, PostgresDatabase, log, server_log_findings  # noqa: E402

LUA = Path(__file__).resolve().with_name("intake.lua")
REPORTS_PATH = "/api/v1/reports"
JAKPUS = "31.71"  # Jakarta Pusat: the demo Polres and its Polsek
BIG_LIMIT = "1000000000"
TARGET_RPS, TARGET_P99_MS = 300.0, 200.0


# --- wrk -------------------------------------------------------------------------------


def ensure_wrk(install: bool) -> str:
    path = shutil.which("wrk")
    if path:
        return path
    if not install or os.geteuid() != 0 or not shutil.which("apt-get"):
        raise BenchError("wrk is not installed: apt-get install -y wrk (Debian package 'wrk')")
    log("wrk is missing: apt-get install -y wrk")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    res = subprocess.run(["apt-get", "install", "-y", "wrk"], env=env, capture_output=True)
    if res.returncode != 0:
        subprocess.run(["apt-get", "update"], env=env, capture_output=True)
        res = subprocess.run(["apt-get", "install", "-y", "wrk"], env=env, capture_output=True)
    path = shutil.which("wrk")
    if not path:
        raise BenchError(f"apt-get install -y wrk failed:\n{res.stderr.decode()[-2000:]}")
    return path


# --- the server (shared with bench/sync.py: bench/_stack.py) ---------------------------------


# All load comes from one address: lift the public limits for the bench.
PUBLIC_LIMITS_ENV = {
    "SEJUK_PUBLIC_REPORTS_PER_HOUR_IP": BIG_LIMIT,
    "SEJUK_PUBLIC_REPORTS_PER_DAY_PHONE": BIG_LIMIT,
}


class Server(_stack.Server):
    """``sejuk demo --prepare-only`` then granian (or gunicorn gthread) on 127.0.0.1:<free port>."""

    def __init__(self, state_dir: Path, database_url: str | None, workers: int, threads: int,
                 kind: str = "granian"):  # fmt: skip
        gunicorn_args = ["--worker-class", "gthread", "--workers", str(workers),
                         "--threads", str(threads), "--backlog", "2048", "--graceful-timeout", "30"]  # fmt: skip
        granian_args = ["--workers", str(workers), "--blocking-threads", str(threads),
                        "--backlog", "2048", "--workers-kill-timeout", "30", "--log-level", "warning"]  # fmt: skip
        super().__init__(state_dir, database_url, gunicorn_args, kind=kind, granian_args=granian_args,
                         extra_env=PUBLIC_LIMITS_ENV, stop_timeout=45)  # fmt: skip
        self.workers, self.threads = workers, threads
        self.worker: subprocess.Popen | None = None

    def start_worker(self) -> None:
        """The django-tasks database worker, as ``sejuk demo`` runs it: it finishes
        intake (duplicates, notifications) in batches every 2 s."""
        subprocess.run(
            [sys.executable, "-c", "import django; django.setup(); "
             "from sejuk.reports.tasks import ensure_scheduled; ensure_scheduled()"],
            env={**self.env, "DJANGO_SETTINGS_MODULE": "sejuk.settings"}, cwd=_stack.REPO_ROOT,
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        self._worker_log = open(self.state_dir / "worker.log", "wb")  # noqa: SIM115
        self.worker = subprocess.Popen(
            [sys.executable, "-m", "sejuk", "db_worker", "--queue-name", "*", "--interval", "1",
             "--no-reload"],
            env=self.env, cwd=_stack.REPO_ROOT, stdout=self._worker_log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def stop_worker(self) -> None:
        proc, self.worker = self.worker, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)

    def stop_web(self) -> None:
        super().stop()

    def stop(self) -> None:
        super().stop()
        self.stop_worker()

    def worker_log(self) -> str:
        try:
            return (self.state_dir / "worker.log").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""


def wait_drained(database_url: str | None, state_dir: Path, timeout: float = 300) -> float | None:
    """Seconds until no report is pending intake (the worker caught up), or None."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        n = query(database_url, state_dir,
                  "SELECT count(*) FROM reports_report WHERE intake_pending")[0][0]  # fmt: skip
        if n == 0:
            return time.monotonic() - t0
        time.sleep(0.5)
    return None


# --- the database, read directly -------------------------------------------------------------


def query(database_url: str | None, state_dir: Path, sql: str, params: tuple = ()) -> list[tuple]:
    if database_url:
        import psycopg

        with psycopg.connect(database_url, connect_timeout=10) as c:
            return c.execute(sql.replace("?", "%s"), params).fetchall()
    import sqlite3

    c = sqlite3.connect(f"file:{state_dir / 'sejuk.sqlite3'}?mode=ro", uri=True, timeout=30)
    try:
        return c.execute(sql, params).fetchall()
    finally:
        c.close()


def load_kelurahan(database_url: str | None, state_dir: Path) -> list[dict]:
    rows = query(
        database_url,
        state_dir,
        "SELECT k.kode, k.nama, c.nama, kk.nama, k.centroid_lat, k.centroid_lon, k.geometry "
        "FROM territory_wilayah k JOIN territory_wilayah c ON c.kode = k.parent_id "
        "JOIN territory_wilayah kk ON kk.kode = c.parent_id "
        "WHERE k.level = 4 AND k.kode LIKE ? AND k.geometry IS NOT NULL ORDER BY k.kode",
        ("31.%",),
    )
    out = []
    for kode, nama, kec, kab, clat, clon, geom in rows:
        if isinstance(geom, str):
            geom = json.loads(geom)
        out.append(
            {"kode": kode, "nama": nama, "kecamatan": kec, "kabkota": kab,
             "lat": clat, "lon": clon, "geometry": geom}
        )  # fmt: skip
    if len(out) < 200:
        raise BenchError(f"only {len(out)} DKI Jakarta kelurahan with boundaries in the database")
    return out


# --- payloads ------------------------------------------------------------------------------------

CATEGORY_WEIGHTS = (
    ("provocation", 24),
    ("money_politics", 20),
    ("intimidation", 10),
    ("crowd", 12),
    ("vandalism", 14),
    ("sara", 5),
    ("other", 15),
)
LANDMARKS = (
    "depan Pasar", "dekat Masjid Al-Ikhlas", "samping SDN 03", "pos ronda RW {rw}",
    "gang sebelah musala", "halte TransJakarta", "warung kopi dekat rel kereta",
    "lapangan futsal", "kantor kelurahan", "TPS {tps}", "pertigaan dekat puskesmas",
    "gedung serbaguna RW {rw}", "pangkalan ojek", "jembatan penyeberangan",
)  # fmt: skip
# Streets that share a name with a kelurahan or kecamatan are dropped in make_payloads.
STREETS = (
    "Jl. Percetakan Negara", "Jl. Letjen Suprapto", "Jl. Pramuka", "Jl. Garuda", "Jl. Abdul Muis",
    "Jl. Biak", "Jl. Balikpapan", "Jl. Dr. Wahidin", "Jl. Haji Agus Salim", "Gg. Langgar",
    "Gg. Sawo", "Gg. Masjid", "Gg. Kelinci", "Gg. Haji Naim", "Jl. Inspeksi Saluran",
)  # fmt: skip
DESCRIPTIONS = {
    "provocation": (
        "Beredar pesan berantai di grup WhatsApp warga RW {rw} yang menuduh petugas KPPS TPS {tps} akan mengubah hasil suara. Isinya hoaks dan memancing emosi warga {place}.",
        "Ada akun media sosial yang menyebarkan video kerusuhan lama dan mengaku itu kejadian hari ini di {place}. Banyak warga yang percaya dan mulai resah.",
        "Seseorang membagikan selebaran provokatif di {place} yang mengajak warga menolak hasil pemungutan suara di TPS {tps}.",
        "Di grup Facebook warga beredar kabar bohong bahwa surat suara di TPS {tps} sudah dicoblos sebelumnya. Mohon diluruskan sebelum ramai.",
    ),
    "money_politics": (
        "Tim sukses salah satu pasangan calon membagikan amplop berisi uang Rp{amount} kepada warga di {place} sambil meminta memilih nomor urut {no}.",
        "Ada pembagian sembako gratis dengan stiker paslon nomor {no} di {place} pagi ini, warga diminta memfoto surat suara sebagai bukti.",
        "Serangan fajar: warga RT {rt} didatangi orang tak dikenal yang membagikan uang Rp{amount} per orang untuk memilih calon tertentu.",
        "Warga ditawari voucher belanja Rp{amount} kalau mau ikut kampanye dan memilih paslon nomor {no}. Pembagiannya di {place}.",
    ),
    "intimidation": (
        "Saksi paslon di TPS {tps} diancam oleh sekelompok orang agar meninggalkan lokasi penghitungan suara.",
        "Warga dipaksa memilih calon tertentu oleh ketua kelompok di {place}, ada ancaman dicoret dari daftar bantuan sosial.",
        "Petugas KPPS TPS {tps} mendapat teror lewat telepon dan pesan singkat sejak semalam, mereka takut bertugas.",
        "Sekelompok orang berseragam ormas mendatangi rumah warga RT {rt} dan mengintimidasi agar memasang spanduk paslon {no}.",
    ),
    "crowd": (
        "Massa sekitar {n} orang berkumpul di {place} dan mulai saling dorong dengan pendukung lain, tolong segera dikirim petugas.",
        "Ada konvoi kendaraan bermotor pendukung paslon {no} melintas di {place} sambil membunyikan knalpot, lalu lintas macet total.",
        "Tawuran antar pemuda pecah di dekat {place}, ada lempar batu sekarang, warga ketakutan.",
        "Puluhan orang berkerumun di depan TPS {tps} setelah penghitungan suara, suasana mulai memanas.",
    ),
    "vandalism": (
        "Baliho dan spanduk pasangan calon nomor urut {no} di {place} dirobek dan dicoret-coret orang tak dikenal tadi malam.",
        "Alat peraga kampanye paslon {no} di {place} dirusak, tiangnya dipatahkan dan gambarnya disobek.",
        "Poster caleg dan paslon di sepanjang gang RT {rt} ditutup cat semprot dengan tulisan kasar.",
        "Bendera partai di {place} dicabut dan dibuang ke selokan oleh dua orang berboncengan motor.",
    ),
    "sara": (
        "Ada ceramah di {place} yang menghasut warga untuk tidak memilih calon karena agamanya, jamaah sekitar {n} orang.",
        "Selebaran bernada SARA ditempel di tiang listrik sepanjang {place}, isinya menjelekkan suku salah satu calon.",
        "Di grup warga RW {rw} beredar pesan yang mengadu domba antar umat beragama menjelang pencoblosan.",
    ),
    "other": (
        "Lampu penerangan di sekitar TPS {tps} mati sehingga gelap saat penghitungan suara, mohon dibantu.",
        "Kotak suara di TPS {tps} terlambat datang, warga sudah menunggu sejak pagi di {place}.",
        "Ada orang mencurigakan mondar-mandir di dekat gudang logistik KPU di {place} sejak sore.",
        "Jalan menuju TPS {tps} tergenang banjir setinggi lutut, lansia kesulitan datang mencoblos.",
    ),
}  # fmt: skip
NAMES = (
    "Siti Rahmawati", "Budi Santoso", "Agus Setiawan", "Dewi Lestari", "Rudi Hartono",
    "Nur Aini", "Yusuf Maulana", "Rina Kurniasih", "Hendra Wijaya", "Fitri Handayani",
    "Ahmad Fauzi", "Sri Wahyuni", "Joko Prasetyo", "Lina Marlina", "Bambang Sutrisno",
)  # fmt: skip
ADDRESS_FORMS = (
    "{street} RT {rt}/RW {rw}, Kelurahan {kel}, Kecamatan {kec}",
    "Kel. {kel}, Kec. {kec}, {kab}",
    "{landmark}, Kelurahan {kel}, {kec}",
    "dekat kantor kelurahan {kel} kecamatan {kec}",
    "{street} no. {no}, {kel}, {kec}",
)  # fmt: skip


def sample_points(kelurahan: list[dict], rng: random.Random, per_kelurahan: int) -> dict:
    """Points inside exactly one kelurahan, at least ~10 m from its border."""
    from shapely import STRtree
    from shapely.geometry import Point, shape

    polys = [shape(k["geometry"]).buffer(0) for k in kelurahan]
    tree = STRtree(polys)
    points: dict[str, list[tuple[float, float]]] = {}
    for k, poly in zip(kelurahan, polys, strict=True):
        inner = poly.buffer(-0.0001)
        if inner.is_empty:
            inner = poly
        clat = k["lat"] if k["lat"] is not None else poly.centroid.y
        clon = k["lon"] if k["lon"] is not None else poly.centroid.x
        # Jitter scaled to the kelurahan: about a quarter of its extent, at most ~500 m.
        minx, miny, maxx, maxy = poly.bounds
        jit = min(0.0045, max(0.0003, min(maxx - minx, maxy - miny) / 4))
        got: list[tuple[float, float]] = []
        tries = 0
        while len(got) < per_kelurahan and tries < per_kelurahan * 40:
            tries += 1
            if tries > per_kelurahan * 20:  # centroid outside (islands, crescents)
                rp = inner.representative_point()
                clat, clon = rp.y, rp.x
            lat, lon = clat + rng.uniform(-jit, jit), clon + rng.uniform(-jit, jit)
            pt = Point(lon, lat)
            if not inner.contains(pt):
                continue
            if sum(1 for i in tree.query(pt) if polys[i].intersects(pt)) != 1:
                continue
            got.append((round(lat, 6), round(lon, 6)))
        if got:
            points[k["kode"]] = got
    return points


def _fill(template: str, rng: random.Random, place: str = "") -> str:
    return template.format(
        rw=f"{rng.randint(1, 12):02d}",
        rt=f"{rng.randint(1, 15):02d}",
        tps=f"{rng.randint(1, 60):03d}",
        no=rng.randint(1, 3),
        n=rng.choice((20, 30, 50, 100, 200)),
        amount=rng.choice(("50.000", "100.000", "150.000", "200.000", "300.000")),
        place=place,
    )


def make_payloads(kelurahan: list[dict], n: int, seed: int, text_share: float) -> list[dict]:
    """``n`` payload dicts (with "client_key": "@KEY@") and what each should route to."""
    rng = random.Random(seed)
    points = sample_points(kelurahan, rng, per_kelurahan=max(4, n // len(kelurahan) + 2))
    by_kode = {k["kode"]: k for k in kelurahan}
    pusat = [k for k in points if k.startswith(JAKPUS + ".")]
    elsewhere = [k for k in points if not k.startswith(JAKPUS + ".")]
    text_kel = [k["kode"] for k in kelurahan if k["kode"].startswith(JAKPUS + ".")]
    if not pusat or not text_kel:
        raise BenchError("no Jakarta Pusat kelurahan with usable boundaries")
    # An address names one kelurahan: leave out streets named after a place (Jl. Kebon Sirih).
    names = {k["nama"].lower() for k in kelurahan} | {k["kecamatan"].lower() for k in kelurahan}
    streets = [s for s in STREETS if not any(n in s.lower() for n in names)] or ["Gg. Langgar"]
    cats = [c for c, _ in CATEGORY_WEIGHTS]
    weights = [w for _, w in CATEGORY_WEIGHTS]
    out = []
    for _ in range(n):
        category = rng.choices(cats, weights)[0]
        by_text = rng.random() < text_share
        if by_text:
            kode = rng.choice(text_kel)
        else:
            kode = (
                rng.choice(pusat)
                if (rng.random() < 0.7 or not elsewhere)
                else rng.choice(elsewhere)
            )
        k = by_kode[kode]
        landmark = _fill(rng.choice(LANDMARKS), rng)
        place = f"{landmark} {k['nama'].title()}" if rng.random() < 0.5 else landmark
        desc = _fill(rng.choice(DESCRIPTIONS[category]), rng, place)
        if rng.random() < 0.25:
            desc += rng.choice(
                (" Kejadiannya barusan.", " Mohon segera ditindaklanjuti.",
                 " Saya punya foto kejadiannya.", " Sudah terjadi sejak kemarin sore.")
            )  # fmt: skip
        body: dict = {"category": category, "description": desc}
        if by_text:
            body["address_text"] = rng.choice(ADDRESS_FORMS).format(
                street=rng.choice(streets), rt=f"{rng.randint(1, 15):02d}",
                rw=f"{rng.randint(1, 12):02d}", kel=k["nama"].title(), kec=k["kecamatan"].title(),
                kab=k["kabkota"].title(), landmark=landmark, no=rng.randint(1, 120),
            )  # fmt: skip
        else:
            lat, lon = rng.choice(points[kode])
            body["lat"], body["lon"] = lat, lon
            if rng.random() < 0.3:
                body["address_text"] = f"{rng.choice(streets)} RT {rng.randint(1, 15):02d}"
        if rng.random() < 0.35:
            body["anonymous"] = True
        else:
            body["reporter_name"] = rng.choice(NAMES)
            body["reporter_contact"] = f"08{rng.choice('1258')}{rng.randint(10**8, 10**9 - 1)}"
        body["client_key"] = "@KEY@"
        out.append({"body": body, "kode": kode, "by_text": by_text})
    return out


def write_payloads(payloads: list[dict], path: Path) -> None:
    with path.open("w", encoding="utf-8") as f:
        for p in payloads:
            f.write(json.dumps(p["body"], ensure_ascii=False, separators=(",", ":")) + "\n")


# --- CPU accounting (other sessions may share this 2-core machine) -----------------------------

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies over all CPUs, from /proc/stat."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return 0, 0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields[:8]) - idle, sum(fields[:8])


def _proc_cpu(match) -> dict[int, float]:
    """CPU seconds (user + system) of each process whose (pid, cmdline) match."""
    out = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if not match(int(d.name), cmd):
                continue
            stat = (d / "stat").read_text()
        except OSError:
            continue
        parts = stat.rsplit(")", 1)[1].split()
        out[int(d.name)] = (int(parts[11]) + int(parts[12])) / _TICK  # utime, stime
    return out


def machine_busy_pct(seconds: float = 2.0) -> float:
    b0, t0 = _machine_ticks()
    time.sleep(seconds)
    b1, t1 = _machine_ticks()
    return round(100 * (b1 - b0) / max(1, t1 - t0), 1)


def wait_quiet(max_wait: float, threshold: float = 15.0) -> float:
    """Wait (at most ``max_wait`` s) until the idle machine is below ``threshold`` % busy."""
    deadline = time.monotonic() + max_wait
    busy = machine_busy_pct()
    while busy > threshold and time.monotonic() < deadline:
        log(f"machine {busy} % busy before the measured run (other processes); waiting")
        time.sleep(5)
        busy = machine_busy_pct()
    return busy


class CpuMeter:
    """Machine CPU busy and where it went: the web server, the bench's PostgreSQL backends, wrk, other."""

    def __init__(self, server_pids: list[int], db_name: str | None, worker_pid: int | None = None):
        self.server_pids, self.db, self.worker_pid = set(server_pids), db_name, worker_pid

    def _ours(self) -> tuple[dict[int, float], dict[int, float], dict[int, float]]:
        gun = _proc_cpu(lambda pid, cmd: pid in self.server_pids)
        pg = (
            _proc_cpu(lambda pid, cmd: cmd.startswith("postgres:") and f" {self.db} " in cmd)
            if self.db
            else {}
        )
        wk = _proc_cpu(lambda pid, cmd: pid == self.worker_pid) if self.worker_pid else {}
        return gun, pg, wk

    def start(self) -> None:
        self.t0 = time.monotonic()
        self.m0 = _machine_ticks()
        self.o0 = self._ours()
        self.r0 = os.times()

    def stop(self) -> dict:
        wall = time.monotonic() - self.t0
        m1, o1, r1 = _machine_ticks(), self._ours(), os.times()
        busy_s = (m1[0] - self.m0[0]) / _TICK
        cpus = max(1, os.cpu_count() or 1)
        wrk = (r1.children_user - self.r0.children_user) + (
            r1.children_system - self.r0.children_system
        )
        # Per process: one that exited meanwhile (a database backend of the
        # stopped web server) drops out instead of making the sum negative.
        gun, pg, wk = (
            sum(v - before.get(pid, 0.0) for pid, v in after.items())
            for after, before in zip(o1, self.o0, strict=True)
        )
        pct = lambda x: round(100 * x / wall, 1)  # noqa: E731  (100 % = one core)
        return {
            "cores": cpus,
            "machine_busy_pct": round(100 * busy_s / (wall * cpus), 1),
            "web_pct": pct(gun),
            "postgres_pct": pct(pg),
            "worker_pct": pct(wk),
            "wrk_pct": pct(wrk),
            "other_pct": pct(max(0.0, busy_s - gun - pg - wk - wrk)),
        }


# --- py-spy on the live workers (optional) -----------------------------------------------------

SPY_GROUPS = (
    # (label, substring of a py-spy frame "function (file:line)"): share of the
    # workers' CPU samples whose stack contains it (groups overlap: inclusive).
    ("API view create_report (all of intake)", "create_report (sejuk/reports/api.py"),
    ("  rate limit (limited)", "limited (sejuk/reports/api.py"),
    ("  actions.create_report", "create_report (sejuk/reports/actions.py"),
    ("    routing.route", "route (sejuk/reports/routing.py"),
    ("    triage", "triage (sejuk/reports/triage.py"),
    ("    sla_for", "sla_for (sejuk/reports/actions.py"),
    ("    Report INSERT (Model.save)", "_save_table (django/db/models/base.py"),
    ("    encryption", "encrypt (sejuk/lib/crypto.py"),
    ("SQL compile (ORM compiler as_sql)", "as_sql (django/db/models/sql/compiler.py"),
    ("DB driver calls (django/db/backends)", "django/db/backends/"),
    ("ninja (parse, validate, render)", "ninja/"),
    ("Django handler + middleware", "django/core/handlers/"),
    ("gunicorn (HTTP parsing, sockets)", "gunicorn/"),
    ("granian (WSGI glue; its HTTP is native)", "granian/"),
)


class PySpy:
    """``py-spy record`` on each web server worker during the measured run."""

    def __init__(self, exe: str, server: _stack.Server, out_dir: Path):
        self.exe, self.server, self.out_dir = exe, server, out_dir
        self.procs: list[tuple[subprocess.Popen, Path]] = []

    def _workers(self) -> list[int]:
        """The server's processes except its master (the session leader)."""
        lead = self.server.proc.pid if self.server.proc else None
        return [pid for pid in self.server.pids() if pid != lead]

    def start(self, seconds: int) -> None:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        for pid in self._workers():
            out = self.out_dir / f"worker-{pid}.txt"
            cmd = [self.exe, "record", "--pid", str(pid), "--duration", str(seconds), "--rate", "200",
                   "--format", "raw", "--output", str(out), "--nonblocking", "--gil"]  # fmt: skip
            self.procs.append(
                (subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE), out)
            )
        log(f"py-spy recording {len(self.procs)} workers for {seconds} s")

    def wait(self) -> None:
        for proc, _out in self.procs:
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()

    def report(self) -> dict:
        total, groups, leaves = 0, Counter(), Counter()
        for _proc, out in self.procs:
            try:
                lines = out.read_text(errors="replace").splitlines()
            except OSError:
                continue
            for line in lines:
                stack, _, n = line.rpartition(" ")
                if not n.isdigit():
                    continue
                n = int(n)
                total += n
                for label, needle in SPY_GROUPS:
                    if needle in stack:
                        groups[label] += n
                leaf = stack.rsplit(";", 1)[-1]
                m = re.search(r"\((?:.*/site-packages/|.*/work/main/)?([^:)]+)", leaf)
                leaves[m.group(1) if m else leaf] += n
        return {
            "samples": total,
            "groups_pct": {k: round(100 * groups[k] / total, 1) for k, _ in SPY_GROUPS}
            if total
            else {},
            "leaf_files_pct": {k: round(100 * v / total, 1) for k, v in leaves.most_common(15)}
            if total
            else {},
        }


# --- one wrk phase ---------------------------------------------------------------------------------


def run_wrk(wrk: str, url: str, payload_file: Path, out_dir: Path, tag: str, *, threads: int,
            connections: int, seconds: int, meter: CpuMeter | None = None,
            spy: PySpy | None = None) -> dict:  # fmt: skip
    out_dir.mkdir(parents=True, exist_ok=True)
    cmd = [wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s",
           "--latency", "-s", str(LUA), url, "--", str(payload_file), str(out_dir), tag]  # fmt: skip
    log(" ".join(cmd))
    if meter:
        meter.start()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if spy:
        spy.start(max(1, seconds - 2))
    try:
        stdout, stderr = proc.communicate(timeout=seconds + 120)
    except subprocess.TimeoutExpired:
        proc.kill()
        stdout, stderr = proc.communicate()
    res = subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr)
    cpu = meter.stop() if meter else None
    if spy:
        spy.wait()
    if res.returncode != 0:
        raise BenchError(f"wrk failed ({res.returncode}): {res.stderr[-2000:]}")
    machine = None
    human = []
    for line in res.stdout.splitlines():
        if line.startswith("INTAKE_WRK "):
            machine = json.loads(line[len("INTAKE_WRK ") :])
        else:
            human.append(line)
    if machine is None:
        raise BenchError(f"wrk printed no summary:\n{res.stdout[-2000:]}\n{res.stderr[-2000:]}")
    sent, statuses, tickets = [], Counter(), []
    for f in sorted(out_dir.glob("sent-*.txt")):
        sent += [x for x in f.read_text().split("\n") if x]
    for f in sorted(out_dir.glob("resp-*.txt")):
        for line in f.read_text().split("\n"):
            if not line:
                continue
            status, _, ticket = line.partition(" ")
            statuses[int(status)] += 1
            if status in ("200", "201") and ticket != "-":
                tickets.append((int(status), ticket))
    machine.update(text="\n".join(human), sent=sent, statuses=statuses, tickets=tickets, cpu=cpu)
    return machine


# --- verification --------------------------------------------------------------------------------------


def verify(database_url: str | None, state_dir: Path, run_tag: str, phases: list[dict],
           payloads: list[dict], connections: int) -> dict:  # fmt: skip
    like = f"{run_tag}-%"
    counts = query(
        database_url, state_dir,
        "SELECT count(*), count(DISTINCT client_key), count(DISTINCT ticket) "
        "FROM reports_report WHERE client_key LIKE ?", (like,),
    )[0]  # fmt: skip
    rows = query(
        database_url, state_dir,
        "SELECT client_key, ticket, kelurahan_id, located_by, merged_into_id IS NOT NULL, urgency "
        "FROM reports_report WHERE client_key LIKE ?", (like,),
    )  # fmt: skip
    created = query(
        database_url, state_dir,
        "SELECT e.report_id, count(*) FROM reports_reportevent e JOIN reports_report r "
        "ON r.id = e.report_id WHERE r.client_key LIKE ? AND e.kind = 'created' "
        "GROUP BY e.report_id", (like,),
    )  # fmt: skip
    table_total = query(database_url, state_dir, "SELECT count(*) FROM reports_report")[0][0]
    notifications = query(
        database_url, state_dir,
        "SELECT count(*) FROM reports_notification n JOIN reports_report r ON r.id = n.report_id "
        "WHERE r.client_key LIKE ?", (like,),
    )[0][0]  # fmt: skip
    pending = query(
        database_url, state_dir,
        "SELECT count(*) FROM reports_report WHERE client_key LIKE ? AND intake_pending", (like,),
    )[0][0]  # fmt: skip
    n_rows, n_keys, n_tickets = counts
    sent = [k for ph in phases for k in ph["sent"]]
    sent_set = set(sent)
    ok_tickets = [t for ph in phases for t in ph["tickets"]]
    t201 = [t for s, t in ok_tickets if s == 201]
    t200 = [t for s, t in ok_tickets if s == 200]
    row_by_ticket = {r[1]: r for r in rows}
    res: dict = {
        "rows": n_rows,
        "distinct_client_keys": n_keys,
        "distinct_tickets": n_tickets,
        "sent": len(sent),
        "sent_distinct": len(sent_set),
        "responses_201": len(t201),
        "responses_200": len(t200),
        "distinct_201_tickets": len(set(t201)),
        "table_total": table_total,
        "notifications": notifications,
        "pending": pending,
    }
    res["lost"] = sum(1 for t in set(t201) | set(t200) if t not in row_by_ticket)
    res["duplicates"] = (n_rows - n_keys) + (len(t201) - len(set(t201))) + (n_rows - n_tickets)
    res["rows_not_sent"] = sum(1 for r in rows if r[0] not in sent_set)
    answered = set(t201) | set(t200)
    res["rows_unanswered"] = sum(1 for r in rows if r[1] not in answered)
    res["in_flight_limit"] = connections * len(phases)
    per_report = Counter(n for _rid, n in created)
    res["created_events_problems"] = (n_rows - len(created)) + sum(
        c for n, c in per_report.items() if n != 1
    )
    # Routing: every point was drawn inside exactly one kelurahan.
    located = Counter(r[3] for r in rows)
    res["located_by"] = dict(sorted(located.items()))
    res["merged"] = sum(1 for r in rows if r[4])
    res["urgent"] = sum(1 for r in rows if r[5] == "urgent")
    gps_wrong, text_wrong, text_right, text_total = [], [], 0, 0
    for key, ticket, kel, how, _m, _u in rows:
        idx = int(key.rsplit("-", 1)[1])
        p = payloads[idx]
        if p["by_text"]:
            text_total += 1
            text_right += kel == p["kode"]
            if kel != p["kode"]:
                text_wrong.append(
                    f"{p['body'].get('address_text')!r}: {how} {kel}, named {p['kode']}"
                )
        elif kel != p["kode"] or how != "gps":
            gps_wrong.append(f"{ticket} {key}: {how} {kel}, drawn in {p['kode']}")
    res["gps_misrouted"] = len(gps_wrong)
    res["gps_misrouted_examples"] = gps_wrong[:5]
    res["text_routed_to_named_kelurahan"] = f"{text_right}/{text_total}"
    res["text_misrouted_examples"] = sorted(set(text_wrong))[:5]
    res["problems"] = []
    if res["lost"]:
        res["problems"].append(f"{res['lost']} tickets answered 200/201 have no row")
    if res["duplicates"]:
        res["problems"].append(f"duplicates: {res['duplicates']}")
    if res["rows_not_sent"]:
        res["problems"].append(f"{res['rows_not_sent']} rows with a key that was never sent")
    if res["rows_unanswered"] > res["in_flight_limit"]:
        res["problems"].append(
            f"{res['rows_unanswered']} rows without a read response, more than the "
            f"{res['in_flight_limit']} requests that can be in flight when wrk stops"
        )
    if res["pending"]:
        res["problems"].append(f"{res['pending']} reports still pending intake after the drain")
    if res["created_events_problems"]:
        res["problems"].append(
            f"{res['created_events_problems']} reports without one 'created' event"
        )
    if gps_wrong:
        res["problems"].append(f"{len(gps_wrong)} reports with coordinates routed elsewhere")
    return res


# --- server log --------------------------------------------------------------------------------------------


def first_traceback(text: str, chars: int = 2500) -> str:
    i = text.find("Traceback (most recent call last)")
    return text[i : i + chars] if i >= 0 else ""


# --- in-process profile (child process) ----------------------------------------------------------------------


PROFILE_STEPS = (
    # (module path, attribute, label): wrapped with a timer. Times are "self"
    # times (the time of wrapped steps called inside is subtracted), so the
    # steps add up to the server time; SQL queries go to the innermost step.
    ("sejuk.reports.api", "limited", "rate limit (ratelimit.hit per key)"),
    ("sejuk.reports.actions", "create_report", "create_report (rest: client_key lookup, ORM glue)"),
    ("sejuk.reports.actions", "_validate", "validate"),
    ("sejuk.reports.routing", "route", "routing (rest: coverage, units)"),
    ("sejuk.territory.locate", "kelurahan_index", "routing: polygon index + ImportRun query"),
    ("sejuk.reports.routing", "_gazetteer", "routing: gazetteer (address text)"),
    ("sejuk.reports.actions", "triage", "triage rules"),
    ("sejuk.reports.actions", "sla_for", "SLA policy query"),
    ("sejuk.reports.actions", "new_ticket", "ticket code"),
    ("sejuk.lib.crypto", "encrypt", "encrypt name/contact (Fernet)"),
    ("sejuk.reports.actions", "reporter_hash", "reporter blind index"),
)
FRAMEWORK = "framework (middleware, session, URL, response)"
_QUERY_RE = re.compile(r'^\s*(\w+)(?:.*?\b(?:FROM|INTO|UPDATE)\s+"?(\w+)"?)?', re.S | re.I)


def _query_kind(sql: str) -> str:
    m = _QUERY_RE.match(sql)
    if not m:
        return "?"
    verb = m.group(1).upper()
    table = m.group(2) if verb != "UPDATE" else None
    if verb == "UPDATE":
        t = re.match(r'\s*UPDATE\s+"?(\w+)"?', sql, re.I)
        table = t.group(1) if t else None
    return f"{verb} {table}" if table else verb


def profile_child(n: int, seed: int, payload_file: Path, out: Path) -> None:
    """Runs inside a child with the server's environment; prints a JSON dict."""
    import cProfile
    import importlib
    import io
    import pstats

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sejuk.settings")
    import django

    django.setup()
    from django.core.handlers.base import BaseHandler
    from django.db import connection
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.test import Client

    from sejuk.reports.api import router as public
    from sejuk.reports.models import Report

    stack: list[str] = []
    self_ms: Counter = Counter()
    calls: Counter = Counter()
    q_count: Counter = Counter()
    q_ms: Counter = Counter()
    q_kinds: Counter = Counter()
    inner_total = [0.0]  # time spent in timed steps so far (for self-time accounting)

    def timed(label, fn):
        def wrapper(*a, **kw):
            stack.append(label)
            before = inner_total[0]
            t0 = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                dt_ms = (time.perf_counter() - t0) * 1000
                stack.pop()
                self_ms[label] += dt_ms - (inner_total[0] - before)
                calls[label] += 1
                inner_total[0] = before + dt_ms

        return wrapper

    patched: list[tuple[object, str, object]] = []

    def patch(obj, attr, label):
        orig = getattr(obj, attr)
        patched.append((obj, attr, orig))
        setattr(obj, attr, timed(label, orig))

    patch(BaseHandler, "get_response", FRAMEWORK)
    for path_view in public.path_operations.values():
        for op in path_view.operations:
            if op.view_func.__name__ == "create_report":
                patch(op, "view_func", "API view")
    patch(Report, "save", "Report save (INSERT)")
    for mod_name, attr, label in PROFILE_STEPS:
        patch(importlib.import_module(mod_name), attr, label)
    patch(BaseDatabaseWrapper, "commit", "COMMIT")

    def sql_wrapper(execute, sql, params, many, context):
        label = stack[-1] if stack else "(outside the server)"
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            q_ms[label] += (time.perf_counter() - t0) * 1000
            q_count[label] += 1
            q_kinds[_query_kind(sql)] += 1

    bodies = [line for line in payload_file.read_text(encoding="utf-8").splitlines() if line]
    rng = random.Random(seed)
    client = Client(HTTP_HOST="127.0.0.1", REMOTE_ADDR="127.0.0.1")
    tag = f"prof{secrets.token_hex(3)}"

    def one(i: int) -> int:
        body = rng.choice(bodies).replace("@KEY@", f"{tag}-{i}")
        return client.post(REPORTS_PATH, data=body, content_type="application/json").status_code

    for i in range(20):  # warm the caches (polygon index, coverage) outside the measurement
        one(-1 - i)
    for c in (self_ms, calls, q_count, q_ms, q_kinds):
        c.clear()
    inner_total[0] = 0.0
    statuses: Counter = Counter()
    totals = []
    with connection.execute_wrapper(sql_wrapper):
        for i in range(n):
            t0 = time.perf_counter()
            statuses[one(i)] += 1
            totals.append((time.perf_counter() - t0) * 1000)
    server_ms = sum(self_ms.values())
    client_ms = sum(totals) - server_ms
    steps = {}
    for label in sorted(self_ms, key=lambda k: -self_ms[k]):
        steps[label] = {
            "ms_per_request": round(self_ms[label] / n, 3),
            "calls_per_request": round(calls[label] / n, 2),
            "queries_per_request": round(q_count[label] / n, 2),
            "sql_ms_per_request": round(q_ms[label] / n, 3),
        }
    for obj, attr, orig in reversed(patched):
        setattr(obj, attr, orig)

    m = min(n, 300)
    prof = cProfile.Profile()
    prof.enable()
    for i in range(n, n + m):
        one(i)
    prof.disable()
    buf = io.StringIO()
    buf.write(f"cProfile of {m} POST {REPORTS_PATH} through Django's test client\n")
    st = pstats.Stats(prof, stream=buf)
    st.sort_stats("cumulative").print_stats(40)
    st.sort_stats("tottime").print_stats(30)
    out.write_text(buf.getvalue())

    totals.sort()
    print(
        "INTAKE_PROFILE "
        + json.dumps(
            {
                "n": n,
                "statuses": dict(statuses),
                "ms_per_request_total": round(sum(totals) / n, 3),
                "p50_ms": round(totals[len(totals) // 2], 2),
                "server_ms_per_request": round(server_ms / n, 3),
                "test_client_ms_per_request": round(client_ms / n, 3),
                "queries_per_request": round(sum(q_count.values()) / n, 2),
                "sql_ms_per_request": round(sum(q_ms.values()) / n, 3),
                "steps": steps,
                "query_kinds_per_request": {k: round(v / n, 2) for k, v in q_kinds.most_common()},
                "cprofile": str(out),
            }
        ),
        flush=True,
    )


def run_profile(env: dict, n: int, seed: int, payload_file: Path, out: Path) -> dict:
    child_env = dict(env)
    child_env["SEJUK_ALLOWED_HOSTS"] = "127.0.0.1,localhost,testserver"
    res = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--_profile-child", str(n),
         "--seed", str(seed), "--_payloads", str(payload_file), "--_out", str(out)],
        env=child_env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=1800,
    )  # fmt: skip
    for line in res.stdout.splitlines():
        if line.startswith("INTAKE_PROFILE "):
            return json.loads(line[len("INTAKE_PROFILE ") :])
    raise BenchError(
        f"profile failed ({res.returncode}):\n{res.stdout[-2000:]}\n{res.stderr[-3000:]}"
    )


def print_profile(p: dict) -> None:
    print(
        f"== in-process profile: {p['n']} reports through Django's test client, one thread "
        f"(statuses {p['statuses']}) =="
    )
    print(
        f"per request: {p['ms_per_request_total']:.2f} ms total (p50 {p['p50_ms']:.2f}); "
        f"server {p['server_ms_per_request']:.2f} ms, test client {p['test_client_ms_per_request']:.2f} ms; "
        f"{p['queries_per_request']} SQL queries taking {p['sql_ms_per_request']:.2f} ms"
    )
    print(
        f"  {'step (self time; children subtracted)':<46} {'ms/req':>7} {'calls':>6} {'queries':>8} {'sql ms':>7}"
    )
    for label, s in p["steps"].items():
        print(
            f"  {label:<46} {s['ms_per_request']:>7.3f} {s['calls_per_request']:>6.2f} "
            f"{s['queries_per_request']:>8.2f} {s['sql_ms_per_request']:>7.3f}"
        )
    print("  queries per request by kind: " + ", ".join(
        f"{k} {v}" for k, v in p["query_kinds_per_request"].items()))  # fmt: skip
    print(f"  cProfile (top functions): {p['cprofile']}")


# --- main ---------------------------------------------------------------------------------------------------


def server_label(args) -> str:
    if args.server == "granian":
        return f"granian {args.workers} workers x {args.threads} blocking threads"
    return f"gunicorn gthread {args.workers} workers x {args.threads} threads"


def run(args) -> int:
    database_url, backend = _stack.database_url_from(args.database_url)
    wrk = ensure_wrk(not args.no_install)
    state_dir = Path(tempfile.mkdtemp(prefix="sejuk-bench-intake-"))
    pg = PostgresDatabase(database_url) if database_url else None
    server = None
    try:
        if pg:
            pg.create()
        db_url = pg.url if pg else None
        server = Server(state_dir, db_url, args.workers, args.threads, args.server)
        log(f"{backend}: preparing the demo database in {state_dir}")
        prep_s = server.prepare()
        kel = load_kelurahan(db_url, state_dir)
        payloads = make_payloads(kel, args.pool, args.seed, args.text_share)
        payload_file = state_dir / "payloads.jsonl"
        write_payloads(payloads, payload_file)
        n_text = sum(1 for p in payloads if p["by_text"])
        log(
            f"prepared in {prep_s:.1f} s; {len(payloads)} payloads over {len({p['kode'] for p in payloads})} "
            f"kelurahan ({n_text} by address text); starting {args.server} on {server.base} "
            f"({args.workers} workers x {args.threads} threads)"
        )
        server.start()
        server.start_worker()
        run_tag = f"ib{secrets.token_hex(3)}"
        url = server.base + REPORTS_PATH
        phases = []
        if args.warmup > 0:
            log(f"warm-up {args.warmup} s")
            phases.append(
                run_wrk(wrk, url, payload_file, state_dir / "warmup", f"{run_tag}-w",
                        threads=args.wrk_threads, connections=args.connections, seconds=args.warmup)
            )  # fmt: skip
        busy_before = wait_quiet(args.wait_quiet)
        log(
            f"measured run {args.duration} s, {args.connections} connections "
            f"(machine {busy_before} % busy just before, without our load)"
        )
        meter = CpuMeter(server.pids(), pg.name if pg else None,
                         server.worker.pid if server.worker else None)  # fmt: skip
        spy = PySpy(args.py_spy, server, state_dir / "py-spy") if args.py_spy else None
        main = run_wrk(wrk, url, payload_file, state_dir / "main", f"{run_tag}-m", threads=args.wrk_threads,
                       connections=args.connections, seconds=args.duration, meter=meter, spy=spy)  # fmt: skip
        phases.append(main)
        server.stop_web()
        # The worker finishes intake (duplicates, notifications) of the last batches.
        drain_meter = CpuMeter([], pg.name if pg else None,
                               server.worker.pid if server.worker else None)  # fmt: skip
        drain_meter.start()
        drain_s = wait_drained(db_url, state_dir)
        drain_cpu = drain_meter.stop()
        server.stop()
        log_text = server.log_text() + server.worker_log()
        findings = server_log_findings(log_text)
        v = verify(db_url, state_dir, run_tag, phases, payloads, args.connections)

        secs = main["duration_us"] / 1e6
        lat = {k: v_ / 1000 for k, v_ in main["latency_us"].items()}
        st = main["statuses"]
        non2xx = sum(c for s, c in st.items() if not 200 <= s < 300)
        n5xx = sum(c for phase in phases for s, c in phase["statuses"].items() if s >= 500)
        sock = main["errors"]
        rps = st.get(201, 0) / secs
        target_met = rps >= TARGET_RPS and lat["p99"] < TARGET_P99_MS and non2xx == 0

        print(
            f"== intake bench: {backend}, {server_label(args)}, wrk {args.wrk_threads} threads x {args.connections} connections, "
            f"{args.warmup} s warm-up + {args.duration} s, seed {args.seed} =="
        )
        print(main["text"].rstrip())
        print(
            f"measured: {main['requests']} requests in {secs:.2f} s = {main['requests'] / secs:.1f} req/s; "
            f"201 Created {st.get(201, 0)} = {rps:.1f} reports/s"
        )
        print(
            f"latency ms: p50 {lat['p50']:.1f}, p75 {lat['p75']:.1f}, p90 {lat['p90']:.1f}, "
            f"p99 {lat['p99']:.1f}, p99.9 {lat['p999']:.1f}, max {lat['max']:.1f}"
        )
        print(
            f"HTTP statuses: {', '.join(f'{s}: {c}' for s, c in sorted(st.items()))}; "
            f"non-2xx {non2xx}; socket errors connect {sock['connect']}, read {sock['read']}, "
            f"write {sock['write']}, timeout {sock['timeout']}"
        )
        if args.warmup > 0:
            w = phases[0]
            print(
                f"warm-up: {w['requests']} requests, statuses "
                f"{', '.join(f'{s}: {c}' for s, c in sorted(w['statuses'].items()))}, "
                f"p99 {w['latency_us']['p99'] / 1000:.1f} ms"
            )
        cpu = main["cpu"]
        print(
            f"CPU during the measured run ({cpu['cores']} cores; 100 % = one core): machine busy "
            f"{cpu['machine_busy_pct']} % of all cores; {args.server} {cpu['web_pct']} %, postgres backends "
            f"{cpu['postgres_pct']} %, intake worker {cpu['worker_pct']} %, wrk {cpu['wrk_pct']} %, "
            f"everything else {cpu['other_pct']} %"
            + (
                " (other processes were busy: figures are pessimistic)"
                if cpu["other_pct"] > 25
                else ""
            )
        )
        ours = (cpu["web_pct"] + cpu["postgres_pct"] + cpu["worker_pct"]) / 100  # cores
        cpu_ms = 1000 * ours / rps if rps else float("nan")
        print(
            "after the run: the worker finished pending intake in "
            + (f"{drain_s:.1f} s" if drain_s is not None else "NOT within 300 s")
            + f" (worker {drain_cpu['worker_pct']} %, postgres {drain_cpu['postgres_pct']} % of one core meanwhile)"
        )
        print(
            f"CPU cost: {cpu_ms:.1f} ms of CPU (web server + postgres + intake worker) per report; so 2 idle cores "
            f"(less wrk) could do at most ~{(cpu['cores'] - cpu['wrk_pct'] / 100) * 1000 / cpu_ms:.0f} "
            f"reports/s; the target needs <= {1000 * cpu['cores'] / TARGET_RPS:.1f} ms per report"
        )
        print(f"server log: {', '.join(f'{k} {c}' for k, c in findings.items())}")
        if findings["tracebacks"]:
            print(first_traceback(log_text))
        print(
            f"verify ({'psycopg' if pg else 'sqlite3'}, warm-up + measured): rows {v['rows']}, "
            f"distinct client_key {v['distinct_client_keys']}, distinct ticket {v['distinct_tickets']}; "
            f"requests sent {v['sent']} ({v['sent_distinct']} distinct keys); "
            f"201 responses {v['responses_201']} ({v['distinct_201_tickets']} distinct tickets), "
            f"200 {v['responses_200']}"
        )
        print(
            f"  every 201 ticket is a row: lost {v['lost']}; duplicates {v['duplicates']}; "
            f"rows from keys never sent {v['rows_not_sent']}; rows whose response wrk did not read "
            f"(in flight when wrk stopped) {v['rows_unanswered']} (at most {v['in_flight_limit']}); "
            f"so rows {v['rows']} = 2xx {v['responses_201'] + v['responses_200']} + in flight {v['rows_unanswered']}"
        )
        print(
            f"  routing: located_by {v['located_by']}; points routed to the kelurahan they were "
            f"drawn in: {v['rows'] - v['gps_misrouted'] - int(v['text_routed_to_named_kelurahan'].split('/')[1])} ok, "
            f"{v['gps_misrouted']} wrong; address text routed to the named kelurahan "
            f"{v['text_routed_to_named_kelurahan']}; merged as duplicates {v['merged']}; urgent {v['urgent']}; "
            f"'created' events problems {v['created_events_problems']}; notifications {v['notifications']}; "
            f"still pending intake {v['pending']}"
        )
        for e in v["gps_misrouted_examples"]:
            print(f"    misrouted: {e}")
        for e in v["text_misrouted_examples"]:
            print(f"    address text not routed to the kelurahan it names: {e}")
        for p in v["problems"]:
            print(f"  problem: {p}")
        print(
            f"target (>= {TARGET_RPS:.0f} reports/s, p99 < {TARGET_P99_MS:.0f} ms, no non-2xx): "
            f"{'MET' if target_met else 'MISSED'}"
        )

        spied = spy.report() if spy else None
        if spied:
            print(
                f"== py-spy --gil on the {args.server} workers during the measured run: {spied['samples']} "
                f"samples of the thread holding the GIL (200 Hz), i.e. Python CPU time; share of "
                f"samples whose stack contains (inclusive, groups overlap): =="
            )
            for label, pct in spied["groups_pct"].items():
                print(f"  {label:<46} {pct:>5.1f} %")
            print(
                "  innermost frame's file: "
                + ", ".join(f"{k} {v} %" for k, v in spied["leaf_files_pct"].items())
            )

        prof = None
        if args.profile:
            log(f"profiling {args.profile} requests in-process")
            prof = run_profile(server.env, args.profile, args.seed, payload_file,
                               state_dir / "cprofile.txt")  # fmt: skip
            print_profile(prof)
            if args.keep_state:
                print(Path(prof["cprofile"]).read_text()[:6000])

        bad = v["lost"] or v["duplicates"] or v["problems"]
        server_errors = n5xx + findings["tracebacks"] + findings["worker_timeout"]
        if bad:
            code = 1
        elif server_errors:
            code = 3
        else:
            code = 4 if args.require_target and not target_met else 0
        summary = {
            "bench": "intake",
            "backend": backend,
            "server": server_label(args),
            "wrk": f"{args.wrk_threads}t/{args.connections}c",
            "duration_s": round(secs, 2),
            "requests": main["requests"],
            "req_per_s": round(main["requests"] / secs, 1),
            "reports_per_s": round(rps, 1),
            "p50_ms": round(lat["p50"], 1),
            "p90_ms": round(lat["p90"], 1),
            "p99_ms": round(lat["p99"], 1),
            "max_ms": round(lat["max"], 1),
            "non_2xx": non2xx,
            "status_5xx": n5xx,
            "socket_errors": sum(sock.values()) - sock["status"],
            "rows": v["rows"],
            "distinct_client_keys": v["distinct_client_keys"],
            "responses_2xx": v["responses_201"] + v["responses_200"],
            "rows_in_flight_at_stop": v["rows_unanswered"],
            "lost": v["lost"],
            "duplicates": v["duplicates"],
            "misrouted": v["gps_misrouted"],
            "located_by": v["located_by"],
            "merged": v["merged"],
            "notifications": v["notifications"],
            "intake_drain_s": None if drain_s is None else round(drain_s, 1),
            "target_met": target_met,
            "cpu": cpu,
            "cpu_ms_per_report": round(cpu_ms, 2),
            "machine_busy_before_pct": busy_before,
            "ok": code in (0, 4),
        }
        if prof:
            summary["profile_ms_per_request"] = prof["server_ms_per_request"]
            summary["profile_queries_per_request"] = prof["queries_per_request"]
        print(json.dumps(summary))
        return code
    finally:
        _stack.tear_down(server, pg, state_dir, args.keep_state)


def main(argv: list[str] | None = None) -> int:
    ap = _stack.new_parser(__doc__)
    ap.add_argument(
        "--database-url",
        help="postgres://… server to create a fresh database on (default: $DATABASE_URL, else SQLite)",
    )
    ap.add_argument("--duration", type=int, default=60, help="measured seconds (default 60)")
    ap.add_argument("--warmup", type=int, default=10, help="warm-up seconds (default 10)")
    ap.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    ap.add_argument("--wrk-threads", type=int, default=2, help="wrk threads (default 2)")
    ap.add_argument("--server", choices=("granian", "gunicorn"), default="granian",
                    help="WSGI server (default granian, as sejuk demo runs)")  # fmt: skip
    ap.add_argument("--workers", type=int, default=None,
                    help="server processes (default: granian 2, gunicorn 3)")  # fmt: skip
    ap.add_argument(
        "--threads",
        type=int,
        default=None,
        help="threads per process (granian --blocking-threads, default 4; gunicorn, default 2)",
    )
    ap.add_argument("--pool", type=int, default=6000, help="distinct payloads (default 6000)")
    ap.add_argument("--text-share", type=float, default=0.3, help="share without coordinates")
    ap.add_argument("--seed", type=int, default=20241127)
    ap.add_argument("--profile", type=int, default=0, metavar="N",
                    help="then profile N requests in-process (default: off)")  # fmt: skip
    ap.add_argument("--wait-quiet", type=float, default=120, metavar="S",
                    help="wait up to S s for other processes to leave the CPU idle before "
                    "the measured run (default 120)")  # fmt: skip
    ap.add_argument("--py-spy", metavar="EXE",
                    help="py-spy executable: sample the workers during the measured run")  # fmt: skip
    ap.add_argument(
        "--require-target", action="store_true", help="exit 4 when the target is missed"
    )
    ap.add_argument("--no-install", action="store_true", help="never apt-get install wrk")
    ap.add_argument("--keep-state", action="store_true", help="keep the state dir (logs, payloads)")
    ap.add_argument("--_profile-child", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--_payloads", help=argparse.SUPPRESS)
    ap.add_argument("--_out", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args._profile_child:
        profile_child(args._profile_child, args.seed, Path(args._payloads), Path(args._out))
        return 0
    if args.workers is None:
        args.workers = 2 if args.server == "granian" else 3
    if args.threads is None:
        args.threads = 4 if args.server == "granian" else 2
    if args.duration < 1 or args.connections < 1 or args.workers < 1 or args.threads < 1:
        ap.error("--duration, --connections, --workers and --threads must be at least 1")
    return _stack.run_main(lambda: run(args), "bench/intake.py")


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark the daily vulnerability index at national scale.

Run from the repository root::

    .venv/bin/python bench/risk_index.py [--events 10000000] [--runs 5] [--seed 20241127]
    .venv/bin/python bench/risk_index.py --db sqlite --db-runs 3
    .venv/bin/python bench/risk_index.py --db none          # the library part only
    .venv/bin/python bench/risk_index.py --database-url postgres://sejuk@127.0.0.1:5439/postgres

1. **Library** (no Django): reads the 83,762 desa/kelurahan codes from
   ``$SEJUK_DATA_DIR/wilayah/wilayah.sql``, generates ``--events`` events
   (kelurahan, day, signal, weight) over the last 30 days -- a fifth of them
   concentrated on 2% of the kelurahan, as real trouble is -- plus random
   assessments (30% missing), titik rawan and coverage values and election
   phases, then times, through ``sejuk.analytics.riskindex``: the decayed
   aggregation of the events, the scoring with contributions, the 7-day trend
   and the rollups to kecamatan, kota and provinsi. Prints the median of
   ``--runs`` runs per stage and in total (event generation is not counted).
2. **Database write** (``--db sqlite`` and/or ``--database-url``): in a child
   process with a throw-away state directory (and, for PostgreSQL, a fresh
   database ``sejuk_bench_risk_<hex>`` dropped at the end): migrate, import the
   codes, then time the upsert of one day's 83,762 rows as the app writes them
   (``sejuk.risk.db.upsert``, rows with their contribution JSON), first as
   inserts, then again over the same rows (updates), and the whole
   ``compute_index`` for all kelurahan (gather from the database, score,
   upsert, trend, rollups). Medians of ``--db-runs`` runs.

The target in the issue: the index for all ~84,000 kelurahan for one day from
10 million events in under 60 s on this 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import numpy as np  # noqa: E402

from sejuk.analytics.riskindex import (  # noqa: E402
    PHASES,
    IndexInputs,
    IndexSpec,
    RiskIndex,
    aggregate_events,
    rollup,
    trend_slope,
)

DATA_DIR = Path(os.environ.get("SEJUK_DATA_DIR", REPO_ROOT.parent / "shared" / "data"))
WILAYAH_SQL = DATA_DIR / "wilayah" / "wilayah.sql"
SPEC_FILE = REPO_ROOT / "sejuk" / "risk" / "data" / "indicators" / "ikp-ipkp-2024.1.json"
CODE_RE = re.compile(r"'(\d{2}\.\d{2}\.\d{2}\.\d{4})'")
EVENT_SIGNALS = ("incidents", "reports", "complaints", "provocation", "sara")
AS_OF = 20_054  # 2024-11-27 in days since 1970-01-01


def kelurahan_codes() -> list[str]:
    text = WILAYAH_SQL.read_text(encoding="utf-8", errors="replace")
    return sorted(set(CODE_RE.findall(text)))


def generate(n: int, m: int, spec: IndexSpec, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    hot = rng.choice(n, size=max(1, n // 50), replace=False)
    uniform = m - m // 5
    kel = np.concatenate(
        [
            rng.integers(0, n, size=uniform, dtype=np.int32),
            rng.choice(hot, size=m - uniform).astype(np.int32),
        ]
    )
    sig_col = {s.code: i for i, s in enumerate(spec.signals)}
    cols = np.array([sig_col[s] for s in EVENT_SIGNALS], dtype=np.int8)
    return {
        "kel": kel,
        "day": (AS_OF - rng.integers(0, 30, size=m)).astype(np.int32),
        "signal": cols[rng.integers(0, len(cols), size=m)],
        "weight": rng.choice(np.array([0.3, 0.8, 1.0, 1.5, 2.0, 4.0], dtype=np.float32), size=m),
        "answers": np.where(
            rng.random((n, len(spec.indicators))) < 0.3,
            np.nan,
            rng.integers(0, spec.max_answer + 1, size=(n, len(spec.indicators))),
        ),
        "titik": rng.poisson(1.5, size=n).astype(np.float64) * 2,
        "gap": rng.random(n) * 3,
        "phase": rng.choice(np.array(PHASES), size=n),
        "history": np.where(rng.random((n, 6)) < 0.1, np.nan, rng.random((n, 6)) * 60),
    }


def run_library(codes: list[str], spec: IndexSpec, data: dict) -> dict[str, float]:
    n = len(codes)
    sig_col = {s.code: i for i, s in enumerate(spec.signals)}
    times: dict[str, float] = {}
    t = time.perf_counter()
    signals = aggregate_events(
        data["kel"],
        data["day"],
        data["signal"],
        data["weight"],
        as_of=AS_OF,
        n_kelurahan=n,
        n_signals=len(spec.signals),
        window_days=spec.window_days,
        half_life_days=spec.half_life_days,
    )
    signals[:, sig_col["titik_rawan"]] += data["titik"]
    signals[:, sig_col["coverage_gap"]] += data["gap"]
    times["aggregate"] = time.perf_counter() - t
    t = time.perf_counter()
    result = RiskIndex(spec).score(IndexInputs(data["answers"], signals, data["phase"]))
    times["score"] = time.perf_counter() - t
    t = time.perf_counter()
    history = np.column_stack([data["history"], result.score])
    trend = trend_slope(history, np.arange(-6, 1))
    times["trend"] = time.perf_counter() - t
    t = time.perf_counter()
    arr = np.array(codes)
    member, group, offset = [], [], 0
    for width in (2, 5, 8):
        keys, inverse = np.unique(np.array([c[:width] for c in codes]), return_inverse=True)
        member.append(np.arange(n))
        group.append(inverse.reshape(-1) + offset)
        offset += len(keys)
    agg = rollup(result.score, result.level, np.concatenate(member), np.concatenate(group), offset)
    times["rollup"] = time.perf_counter() - t
    times["total"] = sum(times.values())
    assert len(arr) == n and np.isfinite(result.score).all() and agg.count.sum() == 3 * n
    assert np.allclose(result.contributions.sum(axis=1), result.score)
    times["_levels"] = [int((result.level == i).sum()) for i in range(3)]  # type: ignore[assignment]
    times["_trend_nan"] = int(np.isnan(trend).sum())  # type: ignore[assignment]
    return times


# --- the database part (child process) --------------------------------------------------


def child(runs: int, seed: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sejuk.settings")
    import django

    django.setup()
    import datetime as dt

    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from sejuk.risk.actions import DAILY_FIELDS, DAILY_KEY, compute_index
    from sejuk.risk.db import upsert
    from sejuk.risk.indicators import current_spec
    from sejuk.risk.models import DailyRisk
    from sejuk.territory.importers import import_territory

    call_command("migrate", verbosity=0)
    t = time.perf_counter()
    import_territory(WILAYAH_SQL)
    setup_s = time.perf_counter() - t
    spec = current_spec()
    codes = list(
        __import__("sejuk.territory.models", fromlist=["Wilayah"])
        .Wilayah.objects.filter(level=4)
        .order_by("kode")
        .values_list("kode", flat=True)
    )
    n = len(codes)
    data = generate(n, 200_000, spec, seed)
    signals = aggregate_events(
        data["kel"],
        data["day"],
        data["signal"],
        data["weight"],
        as_of=AS_OF,
        n_kelurahan=n,
        n_signals=len(spec.signals),
        window_days=spec.window_days,
        half_life_days=spec.half_life_days,
    )
    result = RiskIndex(spec).score(IndexInputs(data["answers"], signals, data["phase"]))
    comps = spec.components
    ops = connection.ops
    now = ops.adapt_datetimefield_value(timezone.now())

    def rows(day):
        d = ops.adapt_datefield_value(day)
        for i, kode in enumerate(codes):
            c = np.round(result.contributions[i], 4)
            yield (
                kode,
                d,
                float(c.sum()),
                "rendah",
                0.1,
                float(c[:16].sum()),
                float(c[16:-1].sum()),
                float(c[-1]),
                str(data["phase"][i]),
                True,
                json.dumps({comps[j]: float(c[j]) for j in np.flatnonzero(c)}),
                json.dumps({"signals": {"incidents": 1.0}}),
                spec.version,
                now,
            )

    out: dict[str, list[float]] = {"insert": [], "update": [], "compute_index": []}
    for r in range(runs):
        day = dt.date(2024, 11, 1) + dt.timedelta(days=r)
        t = time.perf_counter()
        upsert(DailyRisk, DAILY_FIELDS, DAILY_KEY, rows(day))
        out["insert"].append(time.perf_counter() - t)
        t = time.perf_counter()
        upsert(DailyRisk, DAILY_FIELDS, DAILY_KEY, rows(day))
        out["update"].append(time.perf_counter() - t)
    for r in range(runs):
        day = dt.date(2024, 12, 1) + dt.timedelta(days=r)
        t = time.perf_counter()
        compute_index(day, None, source="bench", alerts=False, forecast=False)
        out["compute_index"].append(time.perf_counter() - t)
    print(
        json.dumps(
            {
                "vendor": connection.vendor,
                "kelurahan": n,
                "territory_import_s": setup_s,
                **{k: v for k, v in out.items()},
            }
        )
    )


def run_child(database_url: str | None, runs: int, seed: int) -> dict | None:
    state = Path(tempfile.mkdtemp(prefix="sejuk-bench-risk-"))
    env = os.environ.copy()
    env["SEJUK_STATE_DIR"] = str(state)
    env.pop("DATABASE_URL", None)
    dbname = None
    admin_url = database_url
    if database_url:
        import psycopg

        dbname = f"sejuk_bench_risk_{secrets.token_hex(4)}"
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{dbname}"')
        base = database_url.rsplit("/", 1)[0]
        env["DATABASE_URL"] = f"{base}/{dbname}"
    try:
        proc = subprocess.run(
            [sys.executable, __file__, "--child", "--db-runs", str(runs), "--seed", str(seed)],
            env=env,
            capture_output=True,
            text=True,
            cwd=REPO_ROOT,
            check=False,
        )
        if proc.returncode != 0:
            print(proc.stderr[-3000:], file=sys.stderr)
            return None
        return json.loads(proc.stdout.strip().splitlines()[-1])
    finally:
        if dbname:
            import psycopg

            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        import shutil

        shutil.rmtree(state, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=20241127)
    parser.add_argument("--db", choices=("sqlite", "none"), default="sqlite")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--db-runs", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.db_runs, args.seed)
        return
    if not WILAYAH_SQL.is_file():
        sys.exit(f"{WILAYAH_SQL} not found; set SEJUK_DATA_DIR")
    spec = IndexSpec.load(SPEC_FILE)
    codes = kelurahan_codes()
    print(f"kelurahan/desa: {len(codes):,}; events: {args.events:,}; runs: {args.runs}")
    t = time.perf_counter()
    data = generate(len(codes), args.events, spec, args.seed)
    print(f"generated in {time.perf_counter() - t:.1f} s (not counted)")
    results = [run_library(codes, spec, data) for _ in range(args.runs)]
    levels = results[-1]["_levels"]
    for stage in ("aggregate", "score", "trend", "rollup", "total"):
        values = [r[stage] for r in results]
        print(
            f"  {stage:<10} median {statistics.median(values):7.3f} s  "
            f"(min {min(values):.3f}, max {max(values):.3f})"
        )
    print(f"  levels rendah/sedang/tinggi: {levels[0]:,} / {levels[1]:,} / {levels[2]:,}")
    total = statistics.median(r["total"] for r in results)
    print(
        f"library: {len(codes):,} kelurahan from {args.events:,} events in {total:.2f} s "
        f"(target < 60 s: {'met' if total < 60 else 'NOT met'})"
    )

    backends = []
    if args.db == "sqlite":
        backends.append(("SQLite", None))
    if args.database_url and args.database_url.startswith("postgres"):
        backends.append(("PostgreSQL", args.database_url))
    for name, url in backends:
        print(f"{name}: migrate + import codes + {args.db_runs} runs ...", flush=True)
        got = run_child(url, args.db_runs, args.seed)
        if got is None:
            print(f"{name}: failed (see above)")
            continue
        print(f"{name}: {got['kelurahan']:,} rows per day")
        for key, label in (
            ("insert", "upsert, new rows"),
            ("update", "upsert, existing rows"),
            ("compute_index", "compute_index (all)"),
        ):
            v = got[key]
            print(
                f"  {label:<24} median {statistics.median(v):7.2f} s  (runs: "
                f"{', '.join(f'{x:.2f}' for x in v)})"
            )


if __name__ == "__main__":
    main()

"""Time the full territory import (83,762 desa/kelurahan + DKI boundaries).

Usage:
    .venv/bin/python bench/wilayah_import.py [--runs N]
    DATABASE_URL=postgres://sejuk@127.0.0.1:54329/sejuk_bench .venv/bin/python bench/wilayah_import.py

Each run uses a fresh database: a new SQLite file in a temp state dir, or, with
DATABASE_URL, a freshly created PostgreSQL database on that server. Prints the
wall time of the first (empty database) import and of a second, no-op import,
median over runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid


def run(cmd: list[str], env: dict) -> tuple[float, str]:
    t0 = time.perf_counter()
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    return time.perf_counter() - t0, out.stdout


def fresh_env(state: str) -> tuple[dict, str | None]:
    env = {**os.environ, "SEJUK_STATE_DIR": state}
    url = os.environ.get("DATABASE_URL")
    if not url:
        return env, None
    import psycopg

    name = f"sejuk_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    env["DATABASE_URL"] = url.rsplit("/", 1)[0] + "/" + name
    return env, name


def drop(name: str | None) -> None:
    if name:
        import psycopg

        with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    sejuk = [sys.executable, "-m", "sejuk"]
    first, second = [], []
    backend = "postgresql" if os.environ.get("DATABASE_URL") else "sqlite"
    for i in range(args.runs):
        with tempfile.TemporaryDirectory() as state:
            env, name = fresh_env(state)
            try:
                run([*sejuk, "migrate", "-v0"], env)
                t1, out1 = run([*sejuk, "wilayah", "import", "--json"], env)
                t2, out2 = run([*sejuk, "wilayah", "import", "--json"], env)
            finally:
                drop(name)
        r1, r2 = json.loads(out1), json.loads(out2)
        assert r1["created"] == 91599 and not r2["changed"], (r1, r2)
        first.append(t1)
        second.append(t2)
        print(
            f"run {i + 1}: import {t1:.2f} s (in-process {r1['seconds']:.2f} s), "
            f"no-op re-import {t2:.2f} s",
            flush=True,
        )
    print(
        json.dumps(
            {
                "backend": backend,
                "runs": args.runs,
                "codes": 91599,
                "desa_kelurahan": 83762,
                "import_s_median": round(statistics.median(first), 2),
                "reimport_s_median": round(statistics.median(second), 2),
                "note": "wall time of `sejuk wilayah import` incl. process start and Django setup",
            }
        )
    )


if __name__ == "__main__":
    main()

"""Benchmark the Indonesian text classifier: training time, throughput, memory.

Run from the repository root::

    .venv/bin/python bench/textclass.py [--runs 1] [--posts 20000] [--model DIR]

1. Trains the full model on ``$SEJUK_DATA_DIR/nlp/ibrohim2019`` (as ``sejuk nlp
   train`` does: held-out tuning fit plus refit on all 13,023 unique rows), ``--runs``
   times, and prints the median wall time. ``--model DIR`` skips training and uses
   that model.
2. Library throughput: a fresh Python process pinned to one core loads the model
   and classifies ``--posts`` corpus texts in batches of 256 (warm caches, median of
   3 passes); it reports posts/s, load time and resident memory.
3. End to end: ``sejuk nlp classify`` as a subprocess reading the same posts as JSON
   lines on stdin, pinned to one core; wall time (including Python and Django
   start-up and model load) and the child's peak RSS.

Nothing here needs a database. Numbers go to stdout; see docs/nlp.md for the
figures measured on the development machine.
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
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from sejuk.analytics.textclass import (  # noqa: E402
    TextClassifier,
    load_ibrohim,
    measure_classify,
    train_model,
)
from sejuk.analytics.textclass.speed import SINGLE_THREAD_ENV  # noqa: E402

DATA_DIR = Path(os.environ.get("SEJUK_DATA_DIR", REPO_ROOT.parent / "shared" / "data"))


def posts(n: int) -> list[str]:
    texts = load_ibrohim(DATA_DIR).texts
    return [texts[i % len(texts)] for i in range(n)]


def bench_training(runs: int, out: Path) -> list[float]:
    seconds = []
    for run in range(runs):
        started = time.perf_counter()
        model = train_model(DATA_DIR, seed=0)
        seconds.append(time.perf_counter() - started)
        print(f"  training run {run + 1}: {seconds[-1]:.1f} s", file=sys.stderr)
    model.save(out)
    return seconds


def _vm_hwm_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def bench_cli(model_dir: Path, texts: list[str]) -> dict[str, float]:
    payload = "".join(
        json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n" for i, t in enumerate(texts)
    ).encode()
    env = {**os.environ, **SINGLE_THREAD_ENV}
    env.setdefault("SEJUK_STATE_DIR", tempfile.mkdtemp(prefix="sejuk-bench-state-"))
    cmd = [sys.executable, "-m", "sejuk.cli", "nlp", "classify", "--model", str(model_dir)]
    if hasattr(os, "sched_getaffinity"):
        cmd = ["taskset", "-c", str(min(os.sched_getaffinity(0))), *cmd]
    with tempfile.TemporaryFile() as stdin, tempfile.TemporaryFile() as stdout:
        stdin.write(payload)
        stdin.seek(0)
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdin=stdin, stdout=stdout, stderr=subprocess.PIPE, env=env)
        # Poll the child's VmHWM: after fork + exec, Linux reports the (big, training)
        # parent's peak as the child's ru_maxrss, so wait4's figure would be wrong.
        peak_kb = 0
        while proc.poll() is None:
            peak_kb = max(peak_kb, _vm_hwm_kb(proc.pid))
            time.sleep(0.02)
        wall = time.perf_counter() - started
        status = proc.returncode
        stdout.seek(0)
        lines = stdout.read().count(b"\n")
    if status != 0 or lines != len(texts):
        raise SystemExit(f"sejuk nlp classify failed (status {status}, {lines} lines out)")
    return {
        "posts": len(texts),
        "wall_seconds": round(wall, 2),
        "posts_per_second": round(len(texts) / wall, 1),
        "max_rss_mb": round(peak_kb / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="training runs (median)")
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--model", type=Path, help="use this model, skip training")
    args = parser.parse_args()

    texts = posts(args.posts)
    with tempfile.TemporaryDirectory(prefix="sejuk-bench-textclass-") as tmp:
        model_dir = args.model
        if model_dir is None:
            model_dir = Path(tmp) / "model"
            seconds = bench_training(args.runs, model_dir)
            print(
                f"training (full corpus, held-out tuning + refit): median {statistics.median(seconds):.1f} s "
                f"over {len(seconds)} run(s)"
            )
        card = TextClassifier.load(model_dir).card
        size = sum(p.stat().st_size for p in Path(model_dir).iterdir()) / 2**20
        print(f"model: {card['n_features']:,} features, {size:.1f} MiB on disk")

        lib = measure_classify(model_dir, texts)
        print(
            f"library, 1 core: {lib['posts_per_second']:,.0f} posts/s "
            f"(median of {lib['repeats']} passes over {lib['posts']:,} posts, batch {lib['batch']}); "
            f"load {lib['load_seconds']:.2f} s; RSS {lib['rss_mb_python']:.0f} MiB bare Python, "
            f"{lib['rss_mb_after_load']:.0f} MiB after load, {lib['rss_mb_after_classify']:.0f} MiB "
            f"after classifying, peak {lib['max_rss_mb']:.0f} MiB"
        )
        cli = bench_cli(model_dir, texts)
        print(
            f"sejuk nlp classify, 1 core, end to end: {cli['posts']:,} posts in {cli['wall_seconds']:.1f} s "
            f"= {cli['posts_per_second']:,.0f} posts/s including start-up; peak RSS {cli['max_rss_mb']:.0f} MiB"
        )


if __name__ == "__main__":
    main()

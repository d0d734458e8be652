"""Measure classification speed and memory in a fresh process pinned to one core.

Run as ``python -m sejuk.analytics.textclass.speed MODEL_DIR < texts.json``
(a JSON list of strings); prints one JSON object. :func:`measure_classify`
does that from Python. A fresh process is the honest way to report the memory
of a classifier: the parent may hold a training run's worth of garbage.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

SINGLE_THREAD_ENV = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


def _peak_rss_mb() -> float:
    """Peak resident set size of this process image in MiB.

    ``/proc/self/status`` VmHWM rather than ``getrusage``: after fork + exec,
    Linux carries the parent's peak into the child's ``ru_maxrss``.
    """
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rss_mb() -> float:
    """Current resident set size in MiB (Linux /proc; falls back to the peak)."""
    try:
        with open("/proc/self/statm") as fh:
            pages = int(fh.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(model_dir: str, texts: list[str], *, batch: int = 256, repeats: int = 3) -> dict[str, Any]:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    rss_start = _rss_mb()
    from . import TextClassifier  # imported here so the baseline RSS excludes it

    started = time.perf_counter()
    model = TextClassifier.load(model_dir)
    load_seconds = time.perf_counter() - started
    rss_loaded = _rss_mb()
    model.predict(texts[:batch])  # warm the word caches, as a long-running worker's are
    rates = []
    for _ in range(repeats):
        started = time.perf_counter()
        for i in range(0, len(texts), batch):
            model.predict(texts[i : i + batch])
        rates.append(len(texts) / (time.perf_counter() - started))
    return {
        "posts": len(texts),
        "batch": batch,
        "repeats": repeats,
        "posts_per_second": round(statistics.median(rates), 1),
        "load_seconds": round(load_seconds, 3),
        "rss_mb_python": round(rss_start, 1),
        "rss_mb_after_load": round(rss_loaded, 1),
        "rss_mb_after_classify": round(_rss_mb(), 1),
        "max_rss_mb": round(_peak_rss_mb(), 1),
        "cores": 1,
    }


def measure_classify(
    model_dir: str | Path, texts: Sequence[str], *, batch: int = 256, repeats: int = 3
) -> dict[str, Any]:
    """Throughput (posts/s, median of ``repeats``) and memory of a classifier process."""
    env = {**os.environ, **SINGLE_THREAD_ENV}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            __name__,
            str(model_dir),
            "--batch",
            str(batch),
            "--repeats",
            str(repeats),
        ],
        input=json.dumps(list(texts)),
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"speed measurement failed: {proc.stderr.strip()[-500:]}")
    return json.loads(proc.stdout)


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model_dir")
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    texts = json.load(sys.stdin)
    print(json.dumps(run(args.model_dir, texts, batch=args.batch, repeats=args.repeats)))


if __name__ == "__main__":
    main()

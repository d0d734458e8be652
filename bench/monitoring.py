"""Benchmark the Django-free parts of monitoring: near-duplicate keys,
narrative clustering and claim matching.

Run from the repository root::

    .venv/bin/python bench/monitoring.py [--posts 20000] [--runs 3] [--seed 7]

Posts are generated from the hand-written fixture
(``tests/monitoring/data/posts.jsonl``): each synthetic post is a fixture
post with words dropped, swapped in from other posts and numbers changed, and
a time over three days, so narratives, copies and noise all occur. The claim
archive is the real seed (``$SEJUK_DATA_DIR/nlp/pratiwi-hoax``, 600 texts).
Prints medians of ``--runs`` runs. Nothing here needs Django.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import time
from pathlib import Path

from sejuk.analytics.claims import ClaimMatcher, read_pratiwi
from sejuk.analytics.narratives import MinHasher, NarrativeClusterer, PostText, normalize, shingles

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("SEJUK_DATA_DIR", REPO.parent / "shared" / "data"))
FIXTURE = REPO / "tests" / "monitoring" / "data" / "posts.jsonl"


def synthetic(n: int, seed: int) -> list[PostText]:
    rng = random.Random(seed)
    base = [json.loads(line)["text"] for line in FIXTURE.read_text(encoding="utf-8").splitlines()]
    vocab = " ".join(base).split()
    start = dt.datetime(2024, 11, 22, tzinfo=dt.UTC)
    out = []
    for i in range(n):
        words = rng.choice(base).split()
        words = [w for w in words if rng.random() > 0.15]
        for _ in range(rng.randint(0, 3)):
            words.insert(rng.randrange(len(words) + 1), rng.choice(vocab))
        words.append(str(rng.randint(1, 999)))
        out.append(PostText(" ".join(words), start + dt.timedelta(seconds=i * 259_200 / n)))
    return out


def timed(fn, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--posts", type=int, default=20_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    posts = synthetic(args.posts, args.seed)
    print(f"{len(posts)} synthetic posts over 3 days")

    hasher = MinHasher()
    sec, _ = timed(lambda: [hasher.keys(shingles(normalize(p.text))) for p in posts], args.runs)
    print(f"normalise + MinHash keys: {sec:.2f} s ({len(posts) / sec:,.0f} posts/s)")

    def cluster_in_batches():
        c = NarrativeClusterer()
        states = []
        for i in range(0, len(posts), 500):
            c.partial_fit(posts[i : i + 500], states)
            states = c.narratives_
        return c

    sec, c = timed(cluster_in_batches, args.runs)
    sizes = sorted((s.n for s in c.narratives_), reverse=True)
    print(
        f"clustering in batches of 500: {sec:.2f} s ({len(posts) / sec:,.0f} posts/s); "
        f"{len(sizes)} narratives, largest {sizes[:5]}, singletons {sum(1 for s in sizes if s == 1)}"
    )

    claims = read_pratiwi(DATA / "nlp" / "pratiwi-hoax").claims
    sec, matcher = timed(lambda: ClaimMatcher().fit(claims), args.runs)
    print(f"fit the claim matcher on {len(claims)} claims: {sec:.2f} s")
    queries = [p.text for p in posts[:2000]]
    sec, _ = timed(lambda: matcher.kneighbors(queries, k=3), args.runs)
    print(
        f"match {len(queries)} posts against the archive: {sec:.2f} s ({len(queries) / sec:,.0f} posts/s)"
    )


if __name__ == "__main__":
    main()

"""Benchmark the place-name Gazetteer on the national Kemendagri region list.

Run from the repository root::

    .venv/bin/python bench/gazetteer.py [--texts 10000] [--seed 20240214]

Builds the gazetteer from all ~91,600 regions of
``$SEJUK_DATA_DIR/wilayah/wilayah.sql`` (default: ``../shared/data`` next to
the repository), then resolves generated incident reports of 250-320
characters and prints the build time, the median/p99 resolve time and the
accuracy per kind of report. Nothing here needs Django.

Kinds of generated report (each names one random kelurahan/desa):

``kel+kec``       "... di kelurahan X, kecamatan Y ..." (spelling varied)
``kel+kec+kab``   the same plus the kabupaten/kota, with abbreviations
``kel+within``    only the kelurahan name, resolved with ``within`` = its
                  kabupaten/kota (the Polres territory)
``typo+kec``      one edit in a word of >= 6 letters, plus the kecamatan
``kel alone``     only the kelurahan name, nationwide -- often ambiguous:
                  there are 65 desa called Sukamaju
``no place``      filler only; the right answer is None

"correct" is the kode of the named kelurahan (None for ``no place``);
"wrong" is another kode -- the harmful case; "none" means the gazetteer
declined (ambiguous or no match) when a kode was expected.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
# Lets the script run from a plain checkout without `pip install -e .`.
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from sejuk.analytics.geo.gazetteer import (  # noqa: E402
    GENERIC_WORDS,
    STOPWORDS,
    Gazetteer,
    Place,
    places_from_wilayah_rows,
)

DATA_DIR = Path(os.environ.get("SEJUK_DATA_DIR", REPO_ROOT.parent / "shared" / "data"))
WILAYAH_SQL = DATA_DIR / "wilayah" / "wilayah.sql"
ROW_RE = re.compile(r"\('([0-9.]+)','((?:[^']|'')*)'\)")

FILLERS = [
    "assalamualaikum pak, izin melaporkan",
    "selamat malam admin",
    "sekitar pukul 21.30 wib",
    "tadi sore jam 17.00",
    "ada keributan antar pendukung caleg",
    "massa membawa bendera partai dan berteriak",
    "spanduk dan baliho caleg dirusak orang tidak dikenal",
    "warga resah karena ada provokasi di grup whatsapp",
    "beberapa pemuda tawuran pakai batu dan kayu",
    "konvoi kampanye menutup jalan dan bikin macet",
    "ada yang terluka, mohon segera dikirim anggota",
    "situasi masih memanas, warga berkumpul",
    "lokasi dekat masjid dan warung kopi",
    "kejadian di depan sekolah dasar",
    "motor warga dibakar oleh sekelompok orang",
    "tolong dicek ya pak, terima kasih",
    "informasi dari ketua rt 05 rw 02",
    "foto dan video sudah saya kirim ke grup",
    "pelaku kabur ke arah jalan besar",
    "sampai sekarang belum ada petugas datang",
]
TYPES = ["kel+kec", "kel+kec+kab", "kel+within", "typo+kec", "kel alone", "no place"]


def read_rows() -> list[tuple[str, str]]:
    if not WILAYAH_SQL.exists():
        sys.exit(f"{WILAYAH_SQL} not found; set SEJUK_DATA_DIR")
    return ROW_RE.findall(WILAYAH_SQL.read_text(encoding="utf-8"))


def vary_case(rng: random.Random, name: str) -> str:
    r = rng.random()
    if r < 0.5:
        return name.lower()
    if r < 0.8:
        return name
    return name.upper()


def typo(rng: random.Random, name: str) -> str | None:
    """Return *name* with one edit in one word of >= 6 letters, or None."""
    words = name.split(" ")
    eligible = [
        i
        for i, w in enumerate(words)
        if len(w) >= 6 and w.isalpha() and w.lower() not in STOPWORDS | GENERIC_WORDS
    ]
    if not eligible:
        return None
    i = rng.choice(eligible)
    w = words[i].lower()
    k = rng.randrange(1, len(w) - 1)
    op = rng.choice(["delete", "insert", "substitute", "transpose"])
    if op == "delete":
        w = w[:k] + w[k + 1 :]
    elif op == "insert":
        w = w[:k] + rng.choice("aeiounrst") + w[k:]
    elif op == "substitute":
        w = w[:k] + rng.choice([c for c in "aeiounrst" if c != w[k]]) + w[k + 1 :]
    elif w[k] != w[k + 1]:
        w = w[:k] + w[k + 1] + w[k] + w[k + 2 :]
    else:
        w = w[:k] + w[k + 1 :]
    words[i] = w
    return " ".join(words)


def pad(rng: random.Random, core: str, low: int = 250, high: int = 320) -> str:
    """Surround *core* with filler sentences to a length of *low*..*high*."""
    before: list[str] = []
    after: list[str] = []
    fillers = rng.sample(FILLERS, len(FILLERS))
    text = core
    for filler in fillers:
        candidate_parts = (
            ([filler, *before], after) if rng.random() < 0.5 else (before, [*after, filler])
        )
        candidate = ", ".join([*candidate_parts[0], core, *candidate_parts[1]])
        if len(candidate) > high:
            continue
        before, after = candidate_parts
        text = candidate
        if len(text) >= low:
            break
    return text


def generate(
    rng: random.Random, places: list[Place], n: int
) -> list[tuple[str, str, tuple[str, ...] | None, str | None]]:
    """Return ``(type, text, within, expected kode)`` tuples."""
    by_kode = {p.kode: p for p in places}
    kels = [p for p in places if p.kind == "kelurahan"]
    out: list[tuple[str, str, tuple[str, ...] | None, str | None]] = []
    while len(out) < n:
        kind = TYPES[len(out) % len(TYPES)]
        kel = rng.choice(kels)
        kec = by_kode[kel.kode[:8]]
        kab = by_kode[kel.kode[:5]]
        kel_cue = rng.choice(["kelurahan", "kel.", "kel", "desa", "ds."])
        kec_cue = rng.choice(["kecamatan", "kec.", "kec"])
        name = vary_case(rng, kel.name)
        within: tuple[str, ...] | None = None
        expected: str | None = kel.kode
        if kind == "kel+kec":
            core = f"di {kel_cue} {name}, {kec_cue} {vary_case(rng, kec.name)}"
        elif kind == "kel+kec+kab":
            kab_name = re.sub(r"^(Kota|Kabupaten)( Administrasi)? ", "", kab.name)
            kab_cue = "kota" if kab.name.startswith("Kota") else rng.choice(["kab.", "kabupaten"])
            core = f"{kel_cue} {name} {kec_cue} {kec.name} {kab_cue} {kab_name}"
        elif kind == "kel+within":
            core = f"ribut di {name}"
            within = (kab.kode,)
        elif kind == "typo+kec":
            misspelt = typo(rng, kel.name)
            if misspelt is None:
                continue
            core = f"di {kel_cue} {misspelt} {kec_cue} {kec.name}"
        elif kind == "kel alone":
            core = f"ada keributan di {name}"
        else:
            core = "ada keributan di sini"
            expected = None
        out.append((kind, pad(rng, core), within, expected))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--texts", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=20240214)
    args = parser.parse_args()

    t0 = time.perf_counter()
    rows = read_rows()
    t1 = time.perf_counter()
    places = places_from_wilayah_rows(rows)
    t2 = time.perf_counter()
    gaz = Gazetteer(places)
    t3 = time.perf_counter()
    print(
        f"rows: {len(rows):,} read in {t1 - t0:.2f} s; places: {len(places):,} in {t2 - t1:.2f} s"
    )
    print(f"Gazetteer build: {t3 - t2:.2f} s ({os.getloadavg()[0]:.1f} load average)")

    rng = random.Random(args.seed)
    cases = generate(rng, places, args.texts)
    lengths = [len(text) for _, text, _, _ in cases]
    print(
        f"texts: {len(cases):,}, length median {statistics.median(lengths):.0f} "
        f"(min {min(lengths)}, max {max(lengths)}) characters"
    )

    times: list[float] = []
    cpu_times: list[float] = []
    tally: dict[str, Counter[str]] = defaultdict(Counter)
    examples: dict[str, tuple[str, str]] = {}
    for kind, text, within, expected in cases:
        c = time.thread_time()
        t = time.perf_counter()
        res = gaz.resolve(text, within=within)
        times.append(time.perf_counter() - t)
        cpu_times.append(time.thread_time() - c)
        if res.kode == expected:
            outcome = "correct"
        elif res.kode is None:
            outcome = "none"
        else:
            outcome = "wrong"
            examples.setdefault(kind, (text, res.reason))
        tally[kind][outcome] += 1
        tally["all"][outcome] += 1

    # Wall time suffers from other processes on a busy machine; the thread's
    # CPU time does not.
    for label, values in (("wall", times), ("cpu", cpu_times)):
        values.sort()
        p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
        print(
            f"resolve ({label}): median {statistics.median(values) * 1e3:.3f} ms, "
            f"p99 {p99 * 1e3:.3f} ms, max {values[-1] * 1e3:.3f} ms"
        )
    print(f"{'report kind':<14}{'n':>7}{'correct':>10}{'none':>9}{'wrong':>9}")
    for kind in [*TYPES, "all"]:
        c = tally[kind]
        n = sum(c.values())
        print(
            f"{kind:<14}{n:>7}{c['correct'] / n:>10.1%}{c['none'] / n:>9.1%}{c['wrong'] / n:>9.1%}"
        )
    for kind, (text, reason) in examples.items():
        print(f"first wrong {kind}: {text!r} -> {reason}")


if __name__ == "__main__":
    main()

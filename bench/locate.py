"""Benchmark PolygonIndex on the 267 DKI Jakarta kelurahan boundaries.

Run from the repository root::

    .venv/bin/python bench/locate.py [--points 100000] [--repeat 7] [--seed 20240214]

The boundary dumps are read from ``$SEJUK_DATA_DIR/wilayah/boundaries``
(default: ``../shared/data`` next to the repository). Nothing here needs
Django.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
# Lets the script run from a plain checkout without `pip install -e .`.
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from sejuk.analytics.geo import PolygonIndex, path_to_geojson  # noqa: E402

DATA_DIR = Path(os.environ.get("SEJUK_DATA_DIR", REPO_ROOT.parent / "shared" / "data"))
KEL_DIR = DATA_DIR / "wilayah" / "boundaries" / "kel"

# One VALUES tuple of a wilayah_boundaries dump: (kode, nama, lat, lng, path).
ROW_RE = re.compile(
    r"\('([0-9.]+)','((?:[^']|'')*)',(-?[0-9.]+|NULL),(-?[0-9.]+|NULL),'(.*?)'\)[,;]"
)
# Kabupaten Kepulauan Seribu: islands far out in the Java Sea that stretch
# DKI's bounding box about 120 km north of the mainland.
SERIBU_PREFIX = "31.01."


def read_kelurahan() -> list[tuple[str, str]]:
    """Return ``(kode, path)`` for every DKI Jakarta kelurahan."""
    files = sorted(KEL_DIR.glob("wilayah_boundaries_kel_31.*.sql"))
    if not files:
        sys.exit(f"no kelurahan dumps in {KEL_DIR}; set SEJUK_DATA_DIR")
    rows = []
    for file in files:
        for match in ROW_RE.finditer(file.read_text(encoding="utf-8")):
            rows.append((match[1], match[5]))
    return rows


def bbox(geoms: list[dict]) -> tuple[float, float, float, float]:
    """Return ``(min_lat, min_lon, max_lat, max_lon)`` of GeoJSON (Multi)Polygons."""
    lngs: list[float] = []
    lats: list[float] = []
    for geom in geoms:
        polygons = [geom["coordinates"]] if geom["type"] == "Polygon" else geom["coordinates"]
        for polygon in polygons:
            for ring in polygon:
                for lng, lat in ring:
                    lngs.append(lng)
                    lats.append(lat)
    return min(lats), min(lngs), max(lats), max(lngs)


def run_scenario(
    index: PolygonIndex,
    label: str,
    box: tuple[float, float, float, float],
    n_points: int,
    repeat: int,
    seed: int,
) -> None:
    min_lat, min_lon, max_lat, max_lon = box
    rng = np.random.default_rng(seed)
    lats = rng.uniform(min_lat, max_lat, n_points)
    lons = rng.uniform(min_lon, max_lon, n_points)
    index.locate_many(lats[:1000], lons[:1000])  # warm-up: first-call allocations

    timings = []
    result: list[str | None] = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = index.locate_many(lats, lons)
        timings.append(time.perf_counter() - start)
    median = statistics.median(timings)
    located = sum(code is not None for code in result) / n_points

    print(f"\n[{label}] bbox lat {min_lat:.4f}..{max_lat:.4f}, lon {min_lon:.4f}..{max_lon:.4f}")
    print(f"  locate_many of {n_points:,} points, {repeat} runs")
    print(f"  median {median:.4f} s, min {min(timings):.4f} s")
    print(f"  {n_points / median:,.0f} points/s (median)")
    print(f"  located {located:.1%} of points")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--seed", type=int, default=20240214)
    args = parser.parse_args()

    start = time.perf_counter()
    rows = read_kelurahan()
    codes = [code for code, _ in rows]
    geoms = [path_to_geojson(path) for _, path in rows]
    parse_s = time.perf_counter() - start

    start = time.perf_counter()
    index = PolygonIndex(codes, geoms)
    build_s = time.perf_counter() - start

    print(f"kelurahan polygons: {len(index)}")
    print(f"read + path_to_geojson: {parse_s:.3f} s")
    print(f"index build: {build_s:.3f} s")

    run_scenario(index, "DKI bbox", bbox(geoms), args.points, args.repeat, args.seed)
    mainland = [g for c, g in zip(codes, geoms, strict=True) if not c.startswith(SERIBU_PREFIX)]
    run_scenario(index, "mainland bbox", bbox(mainland), args.points, args.repeat, args.seed)

    # Single-point calls, as an API request would make them.
    rng = np.random.default_rng(args.seed)
    min_lat, min_lon, max_lat, max_lon = bbox(mainland)
    single_lats = rng.uniform(min_lat, max_lat, 2000).tolist()
    single_lons = rng.uniform(min_lon, max_lon, 2000).tolist()
    singles = list(zip(single_lats, single_lons, strict=True))
    start = time.perf_counter()
    for lat, lon in singles:
        index.locate(lat, lon)
    per_call_us = (time.perf_counter() - start) / len(singles) * 1e6
    print(f"\n[locate] {per_call_us:.1f} µs per single-point call ({len(singles):,} calls)")


if __name__ == "__main__":
    main()

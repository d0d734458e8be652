"""Plan a whole Polres in one go: 50 officers, 1,000 titik rawan on the real
kelurahan of Jakarta Pusat (31.71), one working day.

Run from the repository root::

    .venv/bin/python bench/patrol_polres.py [--seconds 45] [--long 300] [--seed 20241127]

No Django and no database: the instance is generated from the real boundary files
(``$SEJUK_DATA_DIR/wilayah/boundaries``, default ``../shared/data``) and goes through
the same glue as the platform's daily plans (``sejuk.patrol.planning.solve``: problem
building, the routing library, the independent checker, reading the routes back).

The instance (seeded, so every run plans the same day):

* 1,000 points spread over the 44 kelurahan in proportion to their area, sampled
  uniformly inside each boundary; vulnerability rendah/sedang/tinggi 30/50/20 %, a
  category, 20-45 minutes on site, and a last visit 0-14 days ago (8 % never
  visited), priced with ``sejuk.patrol.prize`` (risk x staleness x category weight)
  with a 7-day rhythm;
* 5 % of the points carry a scheduled event: a 2-hour window starting between 09:00
  and 14:00, a third of them must-attend;
* 50 officers on motorbikes, 08:00-16:00, starting and ending at the 8 Polsek
  (kecamatan centroids), 6-7 officers per Polsek in proportion to its kelurahan;
* overdue points (no visit in 7 days) are must-visit where the shifts allow, as in
  the platform.

Printed: wall time of the plan (target: under 60 s), the collected prize against the
available prize, against a greedy nearest-neighbour baseline (each officer, in turn of
who is free first, goes to the nearest point it can still serve and return from), and
against a longer run (``--long`` seconds) to show how far from converged the 60-s plan
is. Every route is checked by the routing library's independent checker.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import shape

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from sejuk.analytics.geo import path_to_geojson  # noqa: E402
from sejuk.patrol import prize  # noqa: E402
from sejuk.patrol.planning import (  # noqa: E402
    OfficerInput,
    PointInput,
    SolveResult,
    solve,
    travel_source,
)
from sejuk.territory.sources import read_boundaries  # noqa: E402

DATA_DIR = Path(os.environ.get("SEJUK_DATA_DIR", REPO_ROOT.parent / "shared" / "data"))
KOTA = "31.71"
SHIFT = (8 * 60, 16 * 60)
# Minutes on site: patrol presence and a talk with whoever is there.
SERVICE_CHOICES = (20, 25, 30, 35, 40, 45)
LEVELS = (["rendah", "sedang", "tinggi"], [0.3, 0.5, 0.2])
CATEGORIES = (
    ["crowd", "meeting", "office", "campaign", "tps", "worship", "market", "other"],
    [0.15, 0.2, 0.1, 0.15, 0.05, 0.15, 0.1, 0.1],
)


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


@dataclass
class Instance:
    officers: list[OfficerInput]
    points: list[PointInput]
    kelurahan: int


def build_instance(n_officers: int, n_points: int, seed: int) -> Instance:
    rows = read_boundaries(DATA_DIR / "wilayah" / "boundaries")
    kel = {
        r.kode: shape(path_to_geojson(r.path_json))
        for r in rows
        if r.kode.startswith(KOTA + ".") and r.kode.count(".") == 3
    }
    kec = {
        r.kode: shape(path_to_geojson(r.path_json))
        for r in rows
        if r.kode.startswith(KOTA + ".") and r.kode.count(".") == 2
    }
    if len(kel) < 10 or not kec:
        raise SystemExit(f"no Jakarta Pusat boundaries under {DATA_DIR}; set SEJUK_DATA_DIR")
    rng = random.Random(seed)
    nprng = np.random.default_rng(seed)
    codes = sorted(kel)
    # lon/lat degrees are fine for proportions inside one small city.
    areas = np.array([kel[c].area for c in codes])
    counts = np.floor(areas / areas.sum() * n_points).astype(int)
    for i in np.argsort(-(areas / areas.sum() * n_points - counts))[: n_points - counts.sum()]:
        counts[i] += 1
    points: list[PointInput] = []
    for code, count in zip(codes, counts, strict=True):
        poly = kel[code]
        minx, miny, maxx, maxy = poly.bounds
        got: list[tuple[float, float]] = []
        while len(got) < count:
            xs = nprng.uniform(minx, maxx, 64)
            ys = nprng.uniform(miny, maxy, 64)
            inside = shapely.contains_xy(poly, xs, ys)
            got += [(float(y), float(x)) for x, y in zip(xs[inside], ys[inside], strict=True)]
        for lat, lon in got[:count]:
            i = len(points)
            level = rng.choices(*LEVELS)[0]
            category = rng.choices(*CATEGORIES)[0]
            days = None if rng.random() < 0.08 else rng.randint(0, 14)
            p = PointInput(
                key=f"t{i}",
                name=f"{code} #{i}",
                kelurahan=code,
                lat=lat,
                lon=lon,
                prize=prize.titik_prize(level, category, days),
                service_minutes=rng.choice(SERVICE_CHOICES),
                must_visit=prize.is_overdue(days),
                reason="overdue" if prize.is_overdue(days) else "",
                days_since=days,
                titik_id=i,
            )
            if rng.random() < 0.05:
                start = rng.randrange(9 * 60, 14 * 60 + 1, 15)
                p.windows = [(start, start + 120 - 30)]
                p.service_minutes = 30
                p.prize += prize.event_prize(rng.choices(*LEVELS)[0])
                p.must_visit = rng.random() < 1 / 3
                p.reason = "event"
            points.append(p)
    # Officers at the Polsek (kecamatan centroids), in proportion to their kelurahan.
    kec_codes = sorted(kec)
    per_kec = defaultdict(int)
    for c in codes:
        per_kec[c.rsplit(".", 1)[0]] += 1
    weights = np.array([per_kec[k] for k in kec_codes], dtype=float)
    alloc = np.floor(weights / weights.sum() * n_officers).astype(int)
    for i in np.argsort(-(weights / weights.sum() * n_officers - alloc))[
        : n_officers - alloc.sum()
    ]:
        alloc[i] += 1
    officers = []
    for k, n in zip(kec_codes, alloc, strict=True):
        c = kec[k].centroid
        for _ in range(n):
            officers.append(
                OfficerInput(
                    officer_id=len(officers) + 1,
                    name=f"Bhabinkamtibmas {len(officers) + 1} ({k})",
                    kelurahan=tuple(codes),
                    shift_start=SHIFT[0],
                    shift_end=SHIFT[1],
                    start=(c.y, c.x),
                    end=(c.y, c.x),
                    mode="motorbike",
                )
            )
    return Instance(officers=officers, points=points, kelurahan=len(codes))


def nearest_neighbour(inst: Instance) -> tuple[float, int, int]:
    """Greedy baseline: the officer who is free first goes to the nearest point it can
    still serve in time and return home from. Returns (prize, stops, must-visits met)."""
    travel = travel_source("motorbike")
    pts = inst.points
    homes = sorted({o.start for o in inst.officers} | {o.end for o in inst.officers})
    hidx = {h: i for i, h in enumerate(homes)}
    coords = homes + [(p.lat, p.lon) for p in pts]
    m = travel.matrix(coords) / 60.0  # minutes, exact floats as in the checker
    n_home = len(homes)
    # One window per point (the bench's events have one); none = the whole day.
    wa = np.array([p.windows[0][0] if p.windows else 0 for p in pts], dtype=float)
    wb = np.array([p.windows[0][1] if p.windows else 24 * 60 for p in pts], dtype=float)
    service = np.array([p.service_minutes for p in pts], dtype=float)
    todo = np.ones(len(pts), dtype=bool)
    state = {o.officer_id: (float(o.shift_start), hidx[o.start]) for o in inst.officers}
    end = {o.officer_id: (hidx[o.end], float(o.shift_end)) for o in inst.officers}
    active = set(state)
    collected, stops, must = 0.0, 0, 0
    while active and todo.any():
        oid = min(active, key=lambda k: (state[k][0], k))
        now, here = state[oid]
        home, shift_end = end[oid]
        leg = m[here, n_home:]
        start = np.maximum(now + leg, wa)
        done = start + service
        ok = todo & (now + leg <= wb + 1e-9) & (done + m[n_home:, home] <= shift_end + 1e-9)
        if not ok.any():
            active.discard(oid)
            continue
        i = int(np.argmin(np.where(ok, leg, np.inf)))
        todo[i] = False
        state[oid] = (float(done[i]), n_home + i)
        collected += pts[i].prize
        stops += 1
        must += pts[i].must_visit
    return collected, stops, must


def summarise(
    label: str, res: SolveResult, wall: float, available: float, n_must: int, keys_must: set[str]
) -> dict:
    visited = {r.key for rs in res.routes.values() for r in rs}
    prize_total = sum(res.prize_planned.values())
    return {
        "run": label,
        "seconds": wall,
        "prize": prize_total,
        "share": prize_total / available,
        "stops": len(visited),
        "must": f"{len(visited & keys_must)}/{n_must}",
        "feasible": res.feasible,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--officers", type=int, default=50)
    ap.add_argument("--points", type=int, default=1000)
    ap.add_argument("--seconds", type=float, default=45.0, help="solver budget of the plan")
    ap.add_argument("--long", type=float, default=300.0, help="budget of the longer run (0: skip)")
    ap.add_argument("--seed", type=int, default=20241127)
    args = ap.parse_args()

    t0 = time.perf_counter()
    inst = build_instance(args.officers, args.points, args.seed)
    t_build = time.perf_counter() - t0
    available = sum(p.prize for p in inst.points)
    keys_must = {p.key for p in inst.points if p.must_visit}
    log(
        f"{len(inst.officers)} officers, {len(inst.points)} points in {inst.kelurahan} kelurahan, "
        f"{len(keys_must)} must-visit candidates, {sum(1 for p in inst.points if p.windows)} with "
        f"event windows; built in {t_build:.1f} s"
    )

    rows = []
    t0 = time.perf_counter()
    nn_prize, nn_stops, nn_must = nearest_neighbour(inst)
    rows.append({
        "run": "greedy nearest neighbour", "seconds": time.perf_counter() - t0, "prize": nn_prize,
        "share": nn_prize / available, "stops": nn_stops, "must": f"{nn_must}/{len(keys_must)}",
        "feasible": True,
    })  # fmt: skip
    for label, budget in (("plan", args.seconds), ("longer run", args.long)):
        if budget <= 0:
            continue
        log(f"solving: {label}, {budget:.0f} s budget")
        t0 = time.perf_counter()
        res = solve(inst.officers, inst.points, seed=args.seed, time_limit=budget)
        wall = time.perf_counter() - t0
        rows.append(
            summarise(f"{label} ({budget:.0f} s)", res, wall, available, len(keys_must), keys_must)
        )
        for _key, w in res.warnings[:5]:
            log(f"warning: {w}")

    print(f"\nPolres plan: {len(inst.officers)} officers, {len(inst.points)} points, "
          f"available prize {available:.1f}, seed {args.seed}")  # fmt: skip
    print(
        f"{'run':<28} {'wall s':>7} {'prize':>9} {'share':>7} {'stops':>6} {'must-visit':>11} feasible"
    )
    for r in rows:
        print(
            f"{r['run']:<28} {r['seconds']:>7.1f} {r['prize']:>9.1f} {r['share']:>7.1%} "
            f"{r['stops']:>6} {r['must']:>11} {r['feasible']}"
        )
    plan = next((r for r in rows if r["run"].startswith("plan")), None)
    longer = next((r for r in rows if r["run"].startswith("longer")), None)
    if plan:
        print(f"\nplan / greedy: {plan['prize'] / nn_prize:.3f}")
        print(f"plan wall time {plan['seconds']:.1f} s (target < 60 s): "
              f"{'OK' if plan['seconds'] < 60 else 'TOO SLOW'}")  # fmt: skip
    if plan and longer:
        gap = (longer["prize"] - plan["prize"]) / longer["prize"]
        print(f"plan / longer run: {plan['prize'] / longer['prize']:.4f} (gap {gap:.2%})")
    if math.isnan(available):
        raise SystemExit("bad instance")


if __name__ == "__main__":
    main()

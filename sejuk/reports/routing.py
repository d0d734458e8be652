"""Route a report to its kelurahan, Bhabinkamtibmas, Polsek and Polres.

Coordinates win (point in polygon on the real boundaries); otherwise the text
is matched against a gazetteer of kelurahan, kecamatan and street names.
Reports that cannot be placed go to a Polres triage queue. Lookups are cached
per process for a short time: routing runs on every report at election-day
rates, and units and assignments change rarely.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from django.conf import settings

from sejuk.territory.locate import kelurahan_index
from sejuk.territory.models import Level, Officer, PoliceUnit, UnitKind, Wilayah

_TTL_SECONDS = 60.0
_lock = threading.RLock()  # re-entrant: cached builders call each other
_cache: dict[str, tuple[float, object]] = {}


def _cached(name: str, build):
    now = time.monotonic()
    hit = _cache.get(name)
    if hit is not None and now - hit[0] < _TTL_SECONDS:
        return hit[1]
    with _lock:
        hit = _cache.get(name)
        if hit is not None and now - hit[0] < _TTL_SECONDS:
            return hit[1]
        value = build()
        _cache[name] = (time.monotonic(), value)
        return value


def clear_caches() -> None:
    global _gazetteer_state
    with _lock:
        _cache.clear()
        _gazetteer_state = (None, None)


@dataclass(frozen=True)
class Coverage:
    polsek_by_prefix: dict[str, int]
    polres_by_prefix: dict[str, int]
    parent: dict[int, int | None]
    officer_by_kelurahan: dict[str, int]


def _coverage() -> Coverage:
    def build() -> Coverage:
        polsek, polres = {}, {}
        through = PoliceUnit.wilayah.through.objects.select_related("policeunit").values_list(
            "policeunit_id", "policeunit__kind", "wilayah_id"
        )
        for unit_id, kind, kode in through:
            if kind == UnitKind.POLSEK:
                polsek[kode] = unit_id
            elif kind == UnitKind.POLRES:
                polres[kode] = unit_id
        parent = dict(PoliceUnit.objects.values_list("pk", "parent_id"))
        officers = {}
        rows = Officer.kelurahan.through.objects.filter(officer__active=True).values_list(
            "wilayah_id", "officer_id", "officer__position"
        )
        for kode, officer_id, _position in sorted(
            rows, key=lambda r: (r[2] != "Bhabinkamtibmas", r[1])
        ):
            officers.setdefault(kode, officer_id)
        return Coverage(polsek, polres, parent, officers)

    return _cached("coverage", build)


def _longest_prefix(kode: str, table: dict[str, int]) -> int | None:
    parts = kode.split(".")
    for n in range(len(parts), 0, -1):
        unit = table.get(".".join(parts[:n]))
        if unit is not None:
            return unit
    return None


@dataclass(frozen=True)
class Route:
    kelurahan_id: str | None
    polsek_id: int | None
    polres_id: int | None
    officer_id: int | None
    located_by: str
    confidence: float
    reason: str


def units_for_kelurahan(kode: str) -> tuple[int | None, int | None, int | None]:
    cov = _coverage()
    polsek = _longest_prefix(kode, cov.polsek_by_prefix)
    polres = _longest_prefix(kode, cov.polres_by_prefix)
    if polres is None and polsek is not None:
        polres = cov.parent.get(polsek)
    return polsek, polres, cov.officer_by_kelurahan.get(kode)


def triage_unit() -> PoliceUnit | None:
    code = settings.SEJUK_TRIAGE_UNIT
    return _cached("triage_unit", lambda: PoliceUnit.objects.filter(code=code).first())


_gazetteer_state: tuple[object, object] = (None, None)


def _gazetteer_version() -> tuple:
    from django.db.models import Count, Max

    from sejuk.reports.models import StreetAlias
    from sejuk.territory.models import ImportRun

    streets = StreetAlias.objects.aggregate(n=Count("pk"), last=Max("pk"))
    return (
        ImportRun.objects.filter(kind="territory").values_list("pk", flat=True).first(),
        streets["n"],
        streets["last"],
        _covered_prefixes(),
    )


def _gazetteer():
    """The gazetteer of the covered territory (where reports can be routed).

    Rebuilt only when the territory, the covered units or the street list
    change (checked at most once a TTL): a rebuild holds the GIL, and doing it
    on a timer inside requests caused multi-second latency spikes."""
    global _gazetteer_state
    version = _cached("gazetteer-version", _gazetteer_version)
    built_for, gaz = _gazetteer_state
    if gaz is not None and built_for == version:
        return gaz
    with _lock:
        built_for, gaz = _gazetteer_state
        if gaz is not None and built_for == version:
            return gaz
        from django.db.models import Q

        from sejuk.analytics.geo.gazetteer import Gazetteer, Place, places_from_wilayah_rows
        from sejuk.reports.models import StreetAlias
        from sejuk.territory.models import kode_range

        prefixes = version[3]
        rows = Wilayah.objects.filter(level__gte=Level.KABKOTA)
        if prefixes:
            q = Q(pk__in=[])
            for p in prefixes:
                low, high = kode_range(p)
                q |= Q(kode=p) | Q(kode__gte=low, kode__lt=high)
            rows = rows.filter(q)
        places = list(places_from_wilayah_rows(rows.values_list("kode", "nama")))
        for name, kode in StreetAlias.objects.values_list("name", "kelurahan_id"):
            places.append(Place(kode, name, "street", kode.rsplit(".", 1)[0]))
        gaz = Gazetteer(places)
        _gazetteer_state = (version, gaz)
        return gaz


def _covered_prefixes() -> tuple[str, ...]:
    cov = _coverage()
    return tuple(sorted(set(cov.polres_by_prefix) | set(cov.polsek_by_prefix)))


def route(lat: float | None, lon: float | None, text: str = "") -> Route:
    """Where a report belongs. Never raises for unplaceable input: it triages."""
    if lat is not None and lon is not None:
        kode = kelurahan_index().locate(lat, lon)
        if kode is not None:
            polsek, polres, officer = units_for_kelurahan(kode)
            return Route(kode, polsek, polres, officer, "gps", 1.0, "point in kelurahan boundary")
    if text.strip():
        try:
            res = _gazetteer().resolve(text, within=_covered_prefixes() or None)
        except ImportError:  # gazetteer library not installed in this build
            res = None
        if res is not None and res.kode:
            polsek, polres, officer = units_for_kelurahan(res.kode)
            return Route(res.kode, polsek, polres, officer, "gazetteer", res.confidence, res.reason)
        kec = getattr(res, "kecamatan", None) if res is not None else None
        if kec:
            polsek, polres, _officer = units_for_kelurahan(kec)
            if polsek or polres:
                return Route(
                    None,
                    polsek,
                    polres,
                    None,
                    "gazetteer",
                    0.5,
                    f"only the kecamatan is known: {kec}",
                )
    unit = triage_unit()
    polres = unit.pk if unit is not None else None
    return Route(
        None,
        None,
        polres,
        None,
        "triage",
        0.0,
        "could not be located; sent to the Polres triage queue",
    )

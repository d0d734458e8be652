"""Point-to-kelurahan lookup over the stored boundaries.

The polygon index is built once per process and rebuilt when a territory
import has run since (the newest ImportRun id is the cache key), so every web
process and worker picks up new boundaries without a restart.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from sejuk.analytics.geo import PolygonIndex
from sejuk.territory.models import ImportRun, Level, Wilayah

_lock = threading.Lock()
_cache: tuple[int | None, PolygonIndex | None] = (-1, None)


def _current_version() -> int | None:
    return ImportRun.objects.filter(kind="territory").values_list("pk", flat=True).first()


def kelurahan_index() -> PolygonIndex:
    global _cache
    version = _current_version()
    cached_version, index = _cache
    if index is not None and cached_version == version:
        return index
    with _lock:
        cached_version, index = _cache
        if index is not None and cached_version == version:
            return index
        rows = list(
            Wilayah.objects.filter(level=Level.KELURAHAN, geometry__isnull=False)
            .order_by("kode")
            .values_list("kode", "geometry")
        )
        index = PolygonIndex([k for k, _ in rows], [g for _, g in rows])
        _cache = (version, index)
        return index


def locate_kelurahan(lat: float, lon: float) -> Wilayah | None:
    kode = kelurahan_index().locate(lat, lon)
    if kode is None:
        return None
    return Wilayah.objects.light().select_related("parent__parent__parent").get(kode=kode)


def locate_many(lats: Sequence[float], lons: Sequence[float]) -> list[str | None]:
    return kelurahan_index().locate_many(lats, lons)

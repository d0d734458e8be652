"""Point-to-kelurahan lookup over the stored boundaries.

The polygon index is built once per process and rebuilt when a territory
import has run since (the newest ImportRun id is the cache key), so every web
process and worker picks up new boundaries without a restart.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

from sejuk.analytics.geo import PolygonIndex
from sejuk.territory.models import ImportRun, Level, Wilayah

_lock = threading.Lock()
_cache: tuple[int | None, PolygonIndex | None] = (-1, None)
# How often a process asks the database whether a new import has run. Between
# checks the index in memory is used as is (one query saved per lookup).
VERSION_CHECK_SECONDS = 30.0
_checked: tuple[float, int | None] = (-1e9, None)


def _current_version() -> int | None:
    global _checked
    now = time.monotonic()
    if now - _checked[0] < VERSION_CHECK_SECONDS:
        return _checked[1]
    version = ImportRun.objects.filter(kind="territory").values_list("pk", flat=True).first()
    _checked = (now, version)
    return version


def reset_cache() -> None:
    """Forget the index and the version check (after an import in this process, and in tests)."""
    global _cache, _checked
    _cache = (-1, None)
    _checked = (-1e9, None)


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

"""Place a post on a kelurahan: its coordinates, else the place names in its text.

Coordinates go through the same point-in-polygon index as citizen reports
(sejuk.territory.locate). Text goes through the gazetteer of
sejuk.analytics.geo with the kelurahan, kecamatan and kota names of the
covered territory, the street names of the reports app (StreetAlias) and, as
landmarks, the names of active titik rawan (a landmark stands for its
kelurahan, like a street). The gazetteer is rebuilt at most every
``TTL_SECONDS`` in a process.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from sejuk.reports import routing
from sejuk.territory.locate import kelurahan_index

TTL_SECONDS = 300.0
_lock = threading.Lock()
_state: dict = {"at": -1e9, "gaz": None}


@dataclass(frozen=True)
class Placement:
    kelurahan: str | None
    area: str  # kelurahan code, else kecamatan code, else ""
    located_by: str  # gps, text, ""
    confidence: float


def reset_cache() -> None:
    with _lock:
        _state.update(at=-1e9, gaz=None)


def _gazetteer():
    now = time.monotonic()
    if _state["gaz"] is not None and now - _state["at"] < TTL_SECONDS:
        return _state["gaz"]
    with _lock:
        if _state["gaz"] is not None and now - _state["at"] < TTL_SECONDS:
            return _state["gaz"]
        from django.db.models import Q

        from sejuk.analytics.geo.gazetteer import Gazetteer, Place, places_from_wilayah_rows
        from sejuk.fieldwork.models import TitikRawan
        from sejuk.reports.models import StreetAlias
        from sejuk.territory.models import Level, Wilayah, kode_range

        prefixes = routing._covered_prefixes()
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
        for name, kode in TitikRawan.objects.values_list("name", "kelurahan_id"):
            places.append(Place(kode, name, "street", kode.rsplit(".", 1)[0]))
        gaz = Gazetteer(places)
        _state.update(at=time.monotonic(), gaz=gaz)
        return gaz


def place(lat: float | None, lon: float | None, text: str) -> Placement:
    """Where a post belongs; never raises (an unplaceable post has area "")."""
    if lat is not None and lon is not None:
        kode = kelurahan_index().locate(lat, lon)
        if kode is not None:
            return Placement(kode, kode, "gps", 1.0)
    if text.strip():
        res = _gazetteer().resolve(text, within=routing._covered_prefixes() or None)
        if res.kode:
            return Placement(res.kode, res.kode, "text", round(res.confidence, 3))
        if res.kecamatan:
            return Placement(None, res.kecamatan, "text", round(res.confidence, 3))
    return Placement(None, "", "", 0.0)

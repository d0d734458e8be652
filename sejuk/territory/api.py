from __future__ import annotations

from django.http import Http404
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from sejuk.accounts.access import (
    get_officer_for_user,
    get_unit_for_user,
    get_wilayah_for_user,
    visible_officers,
    visible_units,
    visible_wilayah,
)
from sejuk.territory.locate import locate_kelurahan
from sejuk.territory.models import KODE_RE, Level, Wilayah

router = Router(tags=["territory"])


class Ref(Schema):
    kode: str
    nama: str


class LocateOut(Schema):
    kode: str
    nama: str
    level: int
    parents: list[Ref]


class LocateIn(Schema):
    lat: float = Field(..., ge=-90, le=90, description="Latitude in degrees (WGS84)")
    lon: float = Field(..., ge=-180, le=180, description="Longitude in degrees (WGS84)")


class Message(Schema):
    detail: str


class WilayahOut(Schema):
    kode: str
    nama: str
    level: int
    parent: str | None
    area_km2: float | None
    centroid: list[float] | None = Field(None, description="[lat, lon]")
    neighbours: list[str] = []
    geometry: dict | None = None


class UnitOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    parent: str | None
    wilayah: list[str]


class OfficerOut(Schema):
    id: int
    nrp: str
    name: str
    rank: str
    position: str
    unit: str
    kelurahan: list[str]


def _parents(w: Wilayah) -> list[dict]:
    return [{"kode": p.kode, "nama": p.nama} for p in w.ancestors()]


@router.get(
    "/wilayah/locate",
    response={200: LocateOut, 404: Message},
    summary="Find the kelurahan containing a point",
)
def locate(request, q: Query[LocateIn]):
    w = locate_kelurahan(q.lat, q.lon)
    if w is None:
        return Status(
            404, {"detail": f"No kelurahan with a stored boundary contains ({q.lat}, {q.lon})"}
        )
    return {"kode": w.kode, "nama": w.nama, "level": w.level, "parents": _parents(w)}


def _wilayah_out(w: Wilayah, *, geometry: bool) -> dict:
    return {
        "kode": w.kode,
        "nama": w.nama,
        "level": w.level,
        "parent": w.parent_id,
        "area_km2": w.area_km2,
        "centroid": [w.centroid_lat, w.centroid_lon] if w.centroid_lat is not None else None,
        "neighbours": sorted(n.kode for n in w.neighbours.all()),
        "geometry": w.geometry if geometry else None,
    }


@router.get("/wilayah", response=list[WilayahOut], summary="Wilayah in your territory")
def list_wilayah(request, parent: str | None = None, level: int | None = None, limit: int = 500):
    if level is not None and level not in Level.values:
        raise Http404("unknown level")
    qs = visible_wilayah(request.auth).light().prefetch_related("neighbours")
    if parent:
        qs = qs.filter(parent_id=parent)
    if level:
        qs = qs.filter(level=level)
    limit = max(1, min(limit, 5000))
    return [_wilayah_out(w, geometry=False) for w in qs.order_by("kode")[:limit]]


@router.get("/wilayah/{kode}", response={200: WilayahOut, 404: Message, 422: Message})
def get_wilayah(request, kode: str, geometry: bool = False):
    if not KODE_RE.match(kode):
        return Status(422, {"detail": f"{kode!r} is not a Kemendagri code like 31.71.08.1003"})
    w = get_wilayah_for_user(request.auth, kode)
    return _wilayah_out(w, geometry=geometry)


def _unit_out(u) -> dict:
    return {
        "id": u.pk,
        "code": u.code,
        "name": u.name,
        "kind": u.kind,
        "parent": u.parent.code if u.parent_id else None,
        "wilayah": sorted(w.kode for w in u.wilayah.all()),
    }


@router.get("/units", response=list[UnitOut], summary="Police units you may see")
def list_units(request):
    qs = visible_units(request.auth).select_related("parent").prefetch_related("wilayah")
    return [_unit_out(u) for u in qs]


@router.get("/units/{unit_id}", response={200: UnitOut, 404: Message})
def get_unit(request, unit_id: int):
    return _unit_out(get_unit_for_user(request.auth, unit_id))


def _officer_out(o) -> dict:
    return {
        "id": o.pk,
        "nrp": o.nrp,
        "name": o.name,
        "rank": o.rank,
        "position": o.position,
        "unit": o.unit.code,
        "kelurahan": sorted(w.kode for w in o.kelurahan.all()),
    }


@router.get("/officers", response=list[OfficerOut], summary="Officers you may see")
def list_officers(request):
    qs = visible_officers(request.auth).select_related("unit").prefetch_related("kelurahan")
    return [_officer_out(o) for o in qs]


@router.get("/officers/{officer_id}", response={200: OfficerOut, 404: Message})
def get_officer(request, officer_id: int):
    return _officer_out(get_officer_for_user(request.auth, officer_id))

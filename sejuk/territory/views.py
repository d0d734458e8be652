from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from sejuk.accounts.access import (
    get_officer_for_user,
    get_unit_for_user,
    get_wilayah_for_user,
    scope_for,
    visible_officers,
)
from sejuk.territory.models import KODE_RE, Level, Wilayah


def _feature_collection(w: Wilayah, neighbours: list[Wilayah], scope) -> dict:
    features = []
    if w.geometry:
        features.append(w.feature(role="self"))
    for n in neighbours:
        if n.geometry:
            features.append(n.feature(role="neighbour", linkable=scope.covers(n.kode)))
    return {"type": "FeatureCollection", "features": features}


def _load(request: HttpRequest, kode: str) -> Wilayah:
    if not KODE_RE.match(kode):
        raise Http404("not a wilayah code")
    return get_wilayah_for_user(request.user, kode)


@login_required
def wilayah_detail(request: HttpRequest, kode: str) -> HttpResponse:
    w = _load(request, kode)
    scope = scope_for(request.user)
    # Neighbour outlines are public boundary data, drawn for orientation even
    # when they lie outside the user's territory; only in-scope ones link.
    neighbours = list(w.neighbours.order_by("kode"))
    children = list(w.children.light().order_by("kode")) if w.level < Level.KELURAHAN else []
    officers = (
        visible_officers(request.user).filter(kelurahan=w).select_related("unit")
        if w.level == Level.KELURAHAN
        else []
    )
    ctx = {
        "w": w,
        "parents": w.ancestors(),
        "neighbours": [(n, scope.covers(n.kode)) for n in neighbours],
        "children": children,
        "officers": officers,
        "units": w.police_units.all(),
        "geojson": _feature_collection(w, neighbours, scope),
    }
    return render(request, "territory/wilayah.html", ctx)


@login_required
def wilayah_geojson(request: HttpRequest, kode: str) -> JsonResponse:
    w = _load(request, kode)
    neighbours = list(w.neighbours.order_by("kode"))
    return JsonResponse(_feature_collection(w, neighbours, scope_for(request.user)))


@login_required
def officer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    o = get_officer_for_user(request.user, pk)
    scope = scope_for(request.user)
    kelurahan = [(w, scope.covers(w.kode)) for w in o.kelurahan.light()]
    return render(request, "territory/officer.html", {"o": o, "kelurahan": kelurahan})


@login_required
def unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    u = get_unit_for_user(request.user, pk)
    ctx = {
        "u": u,
        "children": u.children.all(),
        "wilayah": u.wilayah.light(),
        "officers": visible_officers(request.user).filter(unit=u).prefetch_related("kelurahan"),
    }
    return render(request, "territory/unit.html", ctx)

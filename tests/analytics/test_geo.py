"""Tests of sejuk.analytics.geo against the real DKI Jakarta boundary dumps.

No Django is involved: run with ``pytest tests/analytics/test_geo.py -p no:django``.
"""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely

from sejuk.analytics.geo import (
    GeometryError,
    GeometryStats,
    PolygonIndex,
    find_neighbours,
    geometry_stats,
    haversine_m,
    path_to_geojson,
)
from sejuk.analytics.geo.shapes import to_shapes

REPO_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = Path(os.environ.get("SEJUK_DATA_DIR", REPO_ROOT.parent / "shared" / "data"))
BOUNDARIES = DATA_DIR / "wilayah" / "boundaries"

# One VALUES tuple of a wilayah_boundaries dump: (kode, nama, lat, lng, path).
ROW_RE = re.compile(
    r"\('([0-9.]+)','((?:[^']|'')*)',(-?[0-9.]+|NULL),(-?[0-9.]+|NULL),'(.*?)'\)[,;]"
)

GALUR = "31.71.08.1003"
KAMPUNG_RAWA = "31.71.08.1002"
TANAH_TINGGI = "31.71.08.1004"
JOHAR_BARU_KEC = "31.71.08"
DKI_KELURAHAN_COUNT = 267


def read_rows(*files: Path) -> list[tuple[str, str, str]]:
    """Extract ``(kode, nama, path)`` from wilayah_boundaries SQL dumps."""
    rows = []
    for file in files:
        for match in ROW_RE.finditer(file.read_text(encoding="utf-8")):
            rows.append((match[1], match[2].replace("''", "'"), match[5]))
    return rows


def require_boundaries() -> None:
    if not BOUNDARIES.is_dir():
        pytest.skip(f"boundary data not found in {BOUNDARIES} (set SEJUK_DATA_DIR)")


@pytest.fixture(scope="module")
def kel_rows() -> list[tuple[str, str, str]]:
    require_boundaries()
    return read_rows(*sorted((BOUNDARIES / "kel").glob("wilayah_boundaries_kel_31.*.sql")))


@pytest.fixture(scope="module")
def kel_names(kel_rows: list[tuple[str, str, str]]) -> dict[str, str]:
    return {code: name for code, name, _ in kel_rows}


@pytest.fixture(scope="module")
def kel_geoms(kel_rows: list[tuple[str, str, str]]) -> dict[str, dict[str, Any]]:
    return {code: path_to_geojson(path) for code, _, path in kel_rows}


@pytest.fixture(scope="module")
def kel_index(kel_geoms: dict[str, dict[str, Any]]) -> PolygonIndex:
    return PolygonIndex(list(kel_geoms), list(kel_geoms.values()))


@pytest.fixture(scope="module")
def kel_neighbours(kel_geoms: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    return find_neighbours(kel_geoms)


def level_geoms(level: str) -> dict[str, dict[str, Any]]:
    require_boundaries()
    rows = read_rows(BOUNDARIES / f"wilayah_boundaries_{level}_31.sql")
    return {code: path_to_geojson(path) for code, _, path in rows}


def square_path(lat: float, lon: float, size: float, *, close: bool = True) -> str:
    """``[lat, lng]`` path text of an axis-aligned square with its SW corner at lat/lon."""
    ring = [[lat, lon], [lat, lon + size], [lat + size, lon + size], [lat + size, lon]]
    if close:
        ring.append(ring[0])
    return json.dumps([ring])


def square(lat: float, lon: float, size: float) -> dict[str, Any]:
    return path_to_geojson(square_path(lat, lon, size))


# --------------------------------------------------------------------------- real data


def test_data_has_all_dki_kelurahan(kel_rows: list[tuple[str, str, str]]) -> None:
    assert len({code for code, _, _ in kel_rows}) == DKI_KELURAHAN_COUNT


def test_galur_parses_to_lng_lat_polygon(kel_geoms: dict[str, dict[str, Any]]) -> None:
    geom = kel_geoms[GALUR]
    assert geom["type"] == "Polygon"
    lng, lat = geom["coordinates"][0][0]
    assert lng == pytest.approx(106.85, abs=0.02)
    assert lat == pytest.approx(-6.17, abs=0.02)


def test_every_real_ring_is_closed_rounded_and_in_jakarta(
    kel_geoms: dict[str, dict[str, Any]],
) -> None:
    types = set()
    for code, geom in kel_geoms.items():
        types.add(geom["type"])
        polygons = [geom["coordinates"]] if geom["type"] == "Polygon" else geom["coordinates"]
        for polygon in polygons:
            for ring in polygon:
                assert ring[0] == ring[-1], code
                assert len(ring) >= 4, code
                for lng, lat in ring:
                    assert 106.0 < lng < 107.5 and -6.5 < lat < -5.0, code
                    assert round(lng, 7) == lng and round(lat, 7) == lat, code
    # Kepulauan Seribu is an archipelago, so both shapes must occur.
    assert types == {"Polygon", "MultiPolygon"}


def test_galur_stats_are_plausible(kel_geoms: dict[str, dict[str, Any]]) -> None:
    stats = geometry_stats(kel_geoms[GALUR])
    assert isinstance(stats, GeometryStats)
    # Galur measures ~0.27 km² (UTM 48S gives the same figure), one of the
    # smallest kelurahan in Jakarta, hence the lower bound of 0.2.
    assert 0.2 < stats.area_km2 < 2.0
    assert stats.min_lat < stats.centroid_lat < stats.max_lat
    assert stats.min_lon < stats.centroid_lon < stats.max_lon
    assert stats.centroid_lat == pytest.approx(-6.176, abs=0.005)
    assert stats.centroid_lon == pytest.approx(106.855, abs=0.005)


def test_kelurahan_areas_add_up_to_their_kecamatan_and_province(
    kel_geoms: dict[str, dict[str, Any]],
) -> None:
    kec = level_geoms("kec")
    kab = level_geoms("kab")
    johar_baru = sum(
        geometry_stats(geom).area_km2
        for code, geom in kel_geoms.items()
        if code.startswith(JOHAR_BARU_KEC + ".")
    )
    # The kecamatan and kelurahan layers were digitised separately and do not
    # nest exactly (per-kecamatan sums differ by up to ~15%); Johar Baru is
    # ~5% off, while the province totals agree closely.
    assert johar_baru == pytest.approx(geometry_stats(kec[JOHAR_BARU_KEC]).area_km2, rel=0.1)
    dki_from_kel = sum(geometry_stats(geom).area_km2 for geom in kel_geoms.values())
    dki_from_kab = sum(geometry_stats(geom).area_km2 for geom in kab.values())
    assert dki_from_kel == pytest.approx(dki_from_kab, rel=0.02)
    # DKI Jakarta's official land area is ~661.5 km².
    assert 640 < dki_from_kel < 680


def test_galur_neighbours_include_its_johar_baru_siblings(
    kel_neighbours: dict[str, list[str]], kel_names: dict[str, str]
) -> None:
    assert kel_names[KAMPUNG_RAWA] == "Kampung Rawa"
    assert kel_names[TANAH_TINGGI] == "Tanah Tinggi"
    neighbours = kel_neighbours[GALUR]
    assert KAMPUNG_RAWA in neighbours
    assert TANAH_TINGGI in neighbours
    assert neighbours == sorted(neighbours)
    assert GALUR not in neighbours
    # A kelurahan of 0.27 km² cannot border something on the other side of town.
    assert len(neighbours) <= 12


def test_neighbours_are_symmetric_and_cover_every_code(
    kel_neighbours: dict[str, list[str]], kel_geoms: dict[str, dict[str, Any]]
) -> None:
    assert set(kel_neighbours) == set(kel_geoms)
    for code, neighbours in kel_neighbours.items():
        assert code not in neighbours
        assert len(neighbours) == len(set(neighbours))
        for other in neighbours:
            assert code in kel_neighbours[other], (code, other)
    mainland = [code for code in kel_geoms if not code.startswith("31.01.")]
    assert all(kel_neighbours[code] for code in mainland)


def test_larger_tolerance_only_adds_neighbours(kel_geoms: dict[str, dict[str, Any]]) -> None:
    exact = find_neighbours(kel_geoms, tolerance_m=0.0)
    loose = find_neighbours(kel_geoms, tolerance_m=100.0)
    default = find_neighbours(kel_geoms)
    for code in kel_geoms:
        assert set(exact[code]) <= set(default[code]) <= set(loose[code])


def test_centroids_locate_back_to_their_kelurahan(
    kel_geoms: dict[str, dict[str, Any]], kel_index: PolygonIndex
) -> None:
    codes = list(kel_geoms)
    stats = [geometry_stats(kel_geoms[code]) for code in codes]
    found = kel_index.locate_many([s.centroid_lat for s in stats], [s.centroid_lon for s in stats])
    misses = [(code, got) for code, got in zip(codes, found, strict=True) if code != got]
    # Overlapping source polygons could in principle steal a centroid; at the
    # time of writing there are no such cases.
    assert len(misses) <= 0.01 * len(codes), misses


def test_java_sea_locates_to_none(kel_index: PolygonIndex) -> None:
    assert kel_index.locate(-5.9, 106.0) is None


def test_index_on_real_data(kel_index: PolygonIndex) -> None:
    assert len(kel_index) == DKI_KELURAHAN_COUNT
    assert GALUR in kel_index.codes
    # Monas lies in Kelurahan Gambir.
    assert kel_index.locate(-6.1754, 106.8272) == "31.71.01.1001"
    assert kel_index.locate_many(np.array([-6.1754, np.nan]), np.array([106.8272, 106.8])) == [
        "31.71.01.1001",
        None,
    ]


# --------------------------------------------------------------------------- path_to_geojson


def test_open_ring_is_closed_and_order_swapped() -> None:
    geom = path_to_geojson(square_path(-6.0, 106.0, 0.1, close=False))
    ring = geom["coordinates"][0]
    assert geom["type"] == "Polygon"
    assert ring[0] == ring[-1] == [106.0, -6.0]
    assert ring[1] == [106.1, -6.0]
    assert len(ring) == 5


def test_closed_ring_is_not_closed_twice() -> None:
    assert len(path_to_geojson(square_path(-6.0, 106.0, 0.1))["coordinates"][0]) == 5


def test_coordinates_are_rounded_to_seven_decimals() -> None:
    path = "[[[-6.123456789,106.987654321],[-6.2,106.9],[-6.2,107.0]]]"
    ring = path_to_geojson(path)["coordinates"][0]
    assert ring[0] == [106.9876543, -6.1234568]
    # Closing happens after rounding, so both ends are bit-identical.
    assert ring[-1] == ring[0]


def test_multipolygon_and_holes() -> None:
    outer = [[-6.0, 106.0], [-6.0, 106.3], [-6.3, 106.3], [-6.3, 106.0]]
    hole = [[-6.1, 106.1], [-6.1, 106.2], [-6.2, 106.2], [-6.2, 106.1]]
    island = [[-5.5, 106.5], [-5.5, 106.6], [-5.6, 106.6]]
    geom = path_to_geojson(json.dumps([[outer, hole], [island]]))
    assert geom["type"] == "MultiPolygon"
    assert [len(p) for p in geom["coordinates"]] == [2, 1]
    assert geom["coordinates"][1][0][0] == [106.5, -5.5]


def test_integer_coordinates_are_accepted() -> None:
    ring = path_to_geojson("[[[-6,106],[-6,107],[-7,107]]]")["coordinates"][0]
    assert ring == [[106.0, -6.0], [107.0, -6.0], [107.0, -7.0], [106.0, -6.0]]


@pytest.mark.parametrize(
    ("path", "fragment"),
    [
        ("not json", "not valid JSON"),
        ("[[[-6.0,106.0],[-6.0,106.1],[-6.1,106.1]]", "not valid JSON"),
        ("", "not valid JSON"),
        ('{"type": "Polygon"}', "must be a JSON array of [lat, lng] rings, got object"),
        ("-6.17", "got number"),
        ("[[-6.0,106.0],[-6.0,106.1],[-6.1,106.1]]", "nesting depth 2"),
        ("[[[[[-6.0,106.0]]]]]", "nesting depth 5"),
        ("[]", "empty array"),
        ("[[[]]]", "empty array"),
        ('[[[-6.0,106.0],[-6.0,"106.1"],[-6.1,106.1]]]', "longitude is not a number"),
        ("[[[-6.0,106.0],[true,106.1],[-6.1,106.1]]]", "latitude is not a number"),
        ("[[[-6.0,106.0],[-6.0,null],[-6.1,106.1]]]", "longitude is not a number"),
        ("[[[-6.0,106.0],[-6.0,NaN],[-6.1,106.1]]]", "non-finite value NaN"),
        ("[[[-6.0,106.0],[-6.0,1e999],[-6.1,106.1]]]", "non-finite coordinate"),
        ("[[[-6.0,106.0],[-6.0,106.1,0],[-6.1,106.1]]]", "point 1: expected a [lat, lng] pair"),
        ("[[[-6.0,106.0],[-6.0],[-6.1,106.1]]]", "point 1: expected a [lat, lng] pair"),
        ("[[[-6.0,106.0],[-6.0,106.1],[-6.1,106.1]],[1,2]]", "ring 1, point 0"),
        ("[[[-6.0,106.0],[-6.0,106.1],[-6.1,106.1]],[[-6.0,106.0]]]", "ring 1: a ring needs at"),
        (
            "[[[[-6.0,106.0],[-6.0,106.1],[-6.1,106.1]]],[[-6.0,106.0],[-6.0,106.1]]]",
            "polygon 1, ring 0, point 0: expected a [lat, lng] pair, got float -6.0",
        ),
        ("[[[-6.0,106.0],[-6.0,106.1]]]", "at least 4 positions"),
        ("[[[-6.0,106.0],[-6.0,106.1],[-6.0,106.0]]]", "at least 4 positions"),
        ("[[[-6.0,106.0],[-6.0,106.1],[-6.0,106.1],[-6.0,106.0]]]", "fewer than 3 distinct"),
        ("[[[-96.0,106.0],[-6.0,106.1],[-6.1,106.1]]]", "latitude -96.0 is outside [-90, 90]"),
        ("[[[-6.0,186.0],[-6.0,106.1],[-6.1,106.1]]]", "longitude 186.0 is outside"),
    ],
)
def test_bad_paths_raise_geometry_error(path: str, fragment: str) -> None:
    with pytest.raises(GeometryError) as excinfo:
        path_to_geojson(path)
    assert fragment in str(excinfo.value)


def test_swapped_lng_lat_input_is_detected() -> None:
    swapped = json.dumps([[[106.85, -6.17], [106.86, -6.17], [106.86, -6.18]]])
    with pytest.raises(GeometryError, match=r"latitude 106.85 is outside.*\[lng, lat\]"):
        path_to_geojson(swapped)


def test_bad_multipolygon_error_names_the_part() -> None:
    good = [[-6.0, 106.0], [-6.0, 106.1], [-6.1, 106.1]]
    bad = [[-6.0, 106.0], [-6.0, 206.1], [-6.1, 106.1]]
    with pytest.raises(GeometryError, match=r"polygon 1, ring 0, point 1: longitude 206.1"):
        path_to_geojson(json.dumps([[good], [bad]]))


def test_non_text_path_is_rejected() -> None:
    with pytest.raises(GeometryError, match="must be JSON text"):
        path_to_geojson(None)  # type: ignore[arg-type]


def test_geometry_error_is_a_value_error() -> None:
    assert issubclass(GeometryError, ValueError)


# --------------------------------------------------------------------------- geometry_stats


def test_square_area_matches_degree_lengths() -> None:
    # 0.01° at the equator: 1.1057 km of latitude by 1.1132 km of longitude.
    stats = geometry_stats(square(0.0, 0.0, 0.01))
    assert stats.area_km2 == pytest.approx(1.1057 * 1.1132, rel=1e-3)
    assert (stats.min_lat, stats.min_lon, stats.max_lat, stats.max_lon) == (0.0, 0.0, 0.01, 0.01)
    assert stats.centroid_lat == pytest.approx(0.005)
    assert stats.centroid_lon == pytest.approx(0.005)


def test_stats_are_frozen() -> None:
    stats = geometry_stats(square(0.0, 0.0, 0.01))
    with pytest.raises(AttributeError):
        stats.area_km2 = 0.0  # type: ignore[misc]


def test_area_ignores_ring_orientation() -> None:
    one = geometry_stats(square(0.0, 0.0, 0.01)).area_km2
    clockwise = {"type": "Polygon", "coordinates": [square(0.0, 1.0, 0.01)["coordinates"][0][::-1]]}
    counter = square(0.0, 2.0, 0.01)["coordinates"]
    mixed = {"type": "MultiPolygon", "coordinates": [clockwise["coordinates"], counter]}
    assert geometry_stats(clockwise).area_km2 == pytest.approx(one)
    assert geometry_stats(mixed).area_km2 == pytest.approx(2 * one)


def test_hole_is_subtracted_whatever_its_orientation() -> None:
    outer = square(0.0, 0.0, 0.03)["coordinates"][0]
    hole = square(0.01, 0.01, 0.01)["coordinates"][0]  # same winding as the outer ring
    full = geometry_stats({"type": "Polygon", "coordinates": [outer]}).area_km2
    holed = geometry_stats({"type": "Polygon", "coordinates": [outer, hole]})
    assert holed.area_km2 == pytest.approx(full * 8 / 9, rel=1e-3)
    # The centroid of a symmetric ring falls in the hole; it must be moved inside.
    assert not (0.01 <= holed.centroid_lat <= 0.02 and 0.01 <= holed.centroid_lon <= 0.02)


def test_self_intersecting_bowtie_is_repaired() -> None:
    bowtie = path_to_geojson("[[[0,0],[0.01,0.01],[0,0.01],[0.01,0]]]")
    stats = geometry_stats(bowtie)
    # Two triangles, each a quarter of the 0.01° square.
    square_km2 = geometry_stats(square(0.0, 0.0, 0.01)).area_km2
    assert stats.area_km2 == pytest.approx(square_km2 / 2, rel=1e-3)


def test_centroid_outside_a_u_shape_is_replaced() -> None:
    u_shape = path_to_geojson(
        "[[[0,0],[0,0.03],[0.03,0.03],[0.03,0.02],[0.01,0.02],[0.01,0.01],[0.03,0.01],[0.03,0]]]"
    )
    stats = geometry_stats(u_shape)
    # The plain centroid (lat 0.0136, lon 0.015) lies in the notch.
    assert not (0.01 < stats.centroid_lat < 0.02 and stats.centroid_lon > 0.01)
    index = PolygonIndex(["u"], [u_shape])
    assert index.locate(stats.centroid_lat, stats.centroid_lon) == "u"


@pytest.mark.parametrize(
    "geom",
    [
        {"type": "Point", "coordinates": [106.8, -6.2]},
        {"type": "Polygon", "coordinates": "nonsense"},
        {"type": "Polygon", "coordinates": []},
        "not a dict",
    ],
)
def test_stats_reject_non_areal_geometries(geom: Any) -> None:
    with pytest.raises(GeometryError):
        geometry_stats(geom)


# --------------------------------------------------------------------------- find_neighbours


def test_neighbours_within_tolerance_of_a_gap() -> None:
    gap_deg = 10.0 / 111_320.0  # ~10 m east-west at the equator
    geoms = {
        "a": square(0.0, 0.0, 0.01),
        "b": square(0.0, 0.01 + gap_deg, 0.01),
        "c": square(0.0, 0.0201 + gap_deg, 0.01),  # ~11 m further east of b
        "far": square(1.0, 1.0, 0.01),
    }
    assert find_neighbours(geoms, tolerance_m=5.0) == {"a": [], "b": [], "c": [], "far": []}
    assert find_neighbours(geoms) == {"a": ["b"], "b": ["a", "c"], "c": ["b"], "far": []}


def test_touching_and_overlapping_shapes_are_neighbours_at_zero_tolerance() -> None:
    geoms = {
        "a": square(0.0, 0.0, 0.01),
        "touch_corner": square(0.01, 0.01, 0.01),
        "overlap": square(0.005, -0.005, 0.01),
    }
    result = find_neighbours(geoms, tolerance_m=0.0)
    assert result["a"] == ["overlap", "touch_corner"]
    assert result["touch_corner"] == ["a"]


def test_neighbours_edge_cases() -> None:
    assert find_neighbours({}) == {}
    assert find_neighbours({"only": square(0.0, 0.0, 0.01)}) == {"only": []}
    with pytest.raises(ValueError, match="tolerance_m"):
        find_neighbours({"a": square(0.0, 0.0, 0.01)}, tolerance_m=-1.0)
    with pytest.raises(GeometryError, match=r"^bad: "):
        find_neighbours({"a": square(0.0, 0.0, 0.01), "bad": {"type": "Point"}})


# --------------------------------------------------------------------------- PolygonIndex


def test_overlap_prefers_the_smallest_polygon() -> None:
    index = PolygonIndex(["big", "small"], [square(0.0, 0.0, 1.0), square(0.2, 0.2, 0.1)])
    assert index.locate(0.25, 0.25) == "small"
    assert index.locate(0.5, 0.5) == "big"
    # Input order must not matter.
    flipped = PolygonIndex(["small", "big"], [square(0.2, 0.2, 0.1), square(0.0, 0.0, 1.0)])
    assert flipped.locate(0.25, 0.25) == "small"


def test_equal_area_overlap_is_broken_by_code() -> None:
    geoms = [square(0.0, 0.0, 1.0), square(0.5, 0.5, 1.0)]
    assert PolygonIndex(["b", "a"], geoms).locate(0.75, 0.75) == "a"
    assert PolygonIndex(["a", "b"], geoms).locate(0.75, 0.75) == "a"


def test_boundary_points_count_as_inside() -> None:
    index = PolygonIndex(["west", "east"], [square(0.0, 0.0, 1.0), square(0.0, 1.0, 1.0)])
    assert index.locate(0.0, 0.5) == "west"  # outer edge
    assert index.locate(0.0, 0.0) == "west"  # vertex
    assert index.locate(0.5, 2.0) == "east"  # outer edge
    assert index.locate(0.5, 1.0) == "east"  # shared edge, equal areas: lower code wins
    assert index.locate(0.5, 1.000001) == "east"
    assert index.locate(0.5, 2.000001) is None


def test_locate_many_accepts_lists_and_arrays_and_tolerates_bad_points() -> None:
    index = PolygonIndex(["sq"], [square(0.0, 0.0, 1.0)])
    lats = [0.5, np.nan, 0.5, 95.0, 0.5, -np.inf, 2.0]
    lons = [0.5, 0.5, np.nan, 0.5, 200.0, 0.5, 2.0]
    expected = ["sq", None, None, None, None, None, None]
    assert index.locate_many(lats, lons) == expected
    assert index.locate_many(np.array(lats), np.array(lons)) == expected
    assert index.locate_many([], []) == []
    assert index.locate_many(np.array([np.nan]), np.array([np.nan])) == [None]


def test_locate_many_rejects_mismatched_inputs() -> None:
    index = PolygonIndex(["sq"], [square(0.0, 0.0, 1.0)])
    with pytest.raises(ValueError, match="latitudes"):
        index.locate_many([0.5, 0.5], [0.5])
    with pytest.raises(ValueError, match="one-dimensional"):
        index.locate_many([[0.5]], [[0.5]])


@pytest.mark.parametrize(("lat", "lon"), [(91.0, 0.5), (0.5, -181.0), (math.nan, 0.5)])
def test_locate_rejects_out_of_range_points(lat: float, lon: float) -> None:
    index = PolygonIndex(["sq"], [square(0.0, 0.0, 1.0)])
    with pytest.raises(ValueError, match="must be a finite number"):
        index.locate(lat, lon)


def test_index_construction_checks() -> None:
    with pytest.raises(ValueError, match="2 codes but 1 geometries"):
        PolygonIndex(["a", "b"], [square(0.0, 0.0, 1.0)])
    with pytest.raises(ValueError, match="duplicate codes: a"):
        PolygonIndex(["a", "a"], [square(0.0, 0.0, 1.0), square(2.0, 2.0, 1.0)])
    with pytest.raises(GeometryError, match=r"^b: geometry type"):
        PolygonIndex(["a", "b"], [square(0.0, 0.0, 1.0), {"type": "LineString"}])
    empty = PolygonIndex([], [])
    assert len(empty) == 0
    assert empty.codes == ()
    assert empty.locate(0.0, 0.0) is None


def test_index_repairs_invalid_polygons() -> None:
    bowtie = path_to_geojson("[[[0,0],[1,1],[0,1],[1,0]]]")
    index = PolygonIndex(["bowtie"], [bowtie])
    assert index.locate(0.5, 0.2) == "bowtie"  # inside the lower triangle
    assert index.locate(0.2, 0.5) is None  # in the notch between the lobes


# --------------------------------------------------------------------------- haversine_m


def test_haversine_one_degree_of_latitude() -> None:
    assert haversine_m(0.0, 106.0, 1.0, 106.0) == pytest.approx(111_195, rel=1e-4)


def test_haversine_monas_to_bundaran_hi() -> None:
    distance = haversine_m(-6.1754, 106.8272, -6.1950, 106.8230)
    assert isinstance(distance, float)
    assert 2_000 < distance < 2_500


def test_haversine_is_vectorised_and_broadcasts() -> None:
    lats = np.array([-6.1754, -6.1950, np.nan])
    lons = np.array([106.8272, 106.8230, 106.8])
    distances = haversine_m(-6.1754, 106.8272, lats, lons)
    assert isinstance(distances, np.ndarray)
    assert distances.shape == (3,)
    assert distances[0] == 0.0
    assert 2_000 < distances[1] < 2_500
    assert np.isnan(distances[2])
    antipodal = haversine_m(0.0, 0.0, 0.0, 180.0)
    assert antipodal == pytest.approx(math.pi * 6_371_008.8)


def test_locate_many_matches_a_brute_force_reference_on_real_data(
    kel_geoms: dict[str, dict[str, Any]], kel_index: PolygonIndex
) -> None:
    codes = list(kel_geoms)
    shapes = to_shapes(codes, list(kel_geoms.values()))
    rng = np.random.default_rng(7)
    lats = rng.uniform(-6.38, -6.07, 20_000)
    lons = rng.uniform(106.68, 106.98, 20_000)
    # Independent path: unprepared shapes and STRtree's own predicate test.
    point_idx, poly_idx = shapely.STRtree(shapes).query(
        shapely.points(lons, lats), predicate="intersects"
    )
    areas = shapely.area(shapes)
    expected: list[str | None] = [None] * len(lats)
    best: dict[int, tuple[float, str]] = {}
    for p, g in zip(point_idx.tolist(), poly_idx.tolist(), strict=True):
        key = (float(areas[g]), codes[g])
        if p not in best or key < best[p]:
            best[p] = key
            expected[p] = codes[g]
    assert kel_index.locate_many(lats, lons) == expected
    assert sum(code is not None for code in expected) > 10_000

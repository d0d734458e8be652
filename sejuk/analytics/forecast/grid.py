"""Spatial cells: square cells of a given size in metres, or H3 hexagons.

A grid turns WGS84 points into integer cell keys; a :class:`StudyArea` is the
sorted set of cell keys a forecast ranks (by default the cells holding at
least one event before the forecast start) and maps keys to dense indices
``0..n_cells-1`` that the models work with.

Square cells live in a projected, metric coordinate system: the UTM zone of
the events' median position unless a CRS is given. Cell edges sit on
multiples of ``cell_m`` in that system (cell ``(i, j)`` spans
``[i*cell_m, (i+1)*cell_m) x [j*cell_m, (j+1)*cell_m)``), so the same
settings always give the same cells, whatever the data's extent.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import h3
import h3.api.basic_int as h3i
import numpy as np
import pyproj
import shapely
from scipy.spatial import cKDTree

from .errors import ForecastError
from .events import Events

__all__ = ["Grid", "H3Grid", "SquareGrid", "StudyArea", "utm_crs_for"]

# Square cell keys pack (column, row) as (i + _OFF) * _MUL + (j + _OFF); projected
# coordinates stay far below 2**29 cells of 1 m, so keys are positive int64.
_OFF = 1 << 29
_MUL = 1 << 31


def utm_crs_for(lon: float, lat: float) -> str:
    """EPSG code of the UTM zone holding ``(lon, lat)``, e.g. ``EPSG:32616``."""
    zone = min(int((lon + 180.0) // 6.0) + 1, 60)
    return f"EPSG:{(32600 if lat >= 0 else 32700) + zone}"


class Grid(ABC):
    """Cells that points fall into; ``fit`` chooses the projection from sample points."""

    @abstractmethod
    def fit(self, lon: np.ndarray, lat: np.ndarray) -> Grid:
        """Choose projection settings from sample points; returns ``self``."""

    @abstractmethod
    def keys(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Cell key (int64) of each point; -1 where a point cannot be placed."""

    @abstractmethod
    def centres_lonlat(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """WGS84 longitude and latitude of the cell centres."""

    @abstractmethod
    def centres_xy(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Cell centres in metres in a local projection (for distances between cells)."""

    @abstractmethod
    def boundary(self, key: int) -> list[tuple[float, float]]:
        """Closed ring of ``(lon, lat)`` corners of one cell."""

    @abstractmethod
    def cell_area_m2(self, keys: np.ndarray) -> np.ndarray:
        """Area of each cell in square metres."""

    @abstractmethod
    def keys_in(self, geometry: dict[str, Any]) -> np.ndarray:
        """Sorted keys of the cells whose centre lies in a GeoJSON (Multi)Polygon."""

    @property
    @abstractmethod
    def spacing_m(self) -> float:
        """Distance between the centres of two adjacent cells, in metres."""

    @abstractmethod
    def describe(self) -> dict[str, Any]:
        """Settings as plain JSON values."""

    def _require_fitted(self) -> None:
        if not hasattr(self, "crs_"):
            raise ForecastError(f"{type(self).__name__} is not fitted; call fit(lon, lat) first")


def _geometry(geometry: dict[str, Any]) -> shapely.Geometry:
    if isinstance(geometry, dict) and geometry.get("type") == "FeatureCollection":
        shapes = [_geometry(f) for f in geometry.get("features") or []]
        if not shapes:
            raise ForecastError("area: the FeatureCollection has no features")
        return shapely.union_all(shapes)
    if isinstance(geometry, dict) and geometry.get("type") == "Feature":
        return _geometry(geometry.get("geometry") or {})
    try:
        geom = shapely.geometry.shape(geometry)
    except Exception as exc:  # shapely raises several types for malformed GeoJSON
        raise ForecastError(f"area: not a GeoJSON geometry ({exc})") from None
    if geom.geom_type not in ("Polygon", "MultiPolygon") or geom.is_empty:
        raise ForecastError(f"area: expected a Polygon or MultiPolygon, got {geom.geom_type}")
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    return geom


@dataclass
class SquareGrid(Grid):
    """Square cells of ``cell_m`` metres in a projected CRS.

    Parameters
    ----------
    cell_m : float
        Edge length of a cell in metres (of the projected CRS).
    crs : str, optional
        Projected CRS with metre units (anything pyproj accepts). Default: the
        UTM zone of the median of the points passed to :meth:`fit`.

    Attributes
    ----------
    crs_ : str
        The CRS in use after :meth:`fit`.
    """

    cell_m: float = 250.0
    crs: str | None = None

    def __post_init__(self) -> None:
        if not (isinstance(self.cell_m, int | float) and math.isfinite(self.cell_m)):
            raise ForecastError(f"cell size must be a number of metres, got {self.cell_m!r}")
        if not 1.0 <= self.cell_m <= 100_000.0:
            raise ForecastError(f"cell size {self.cell_m:g} m is outside [1, 100000] m")

    def fit(self, lon: np.ndarray, lat: np.ndarray) -> SquareGrid:
        lon = np.asarray(lon, dtype=float)
        lat = np.asarray(lat, dtype=float)
        if self.crs is not None:
            crs = self.crs
        else:
            if len(lon) == 0:
                raise ForecastError("cannot choose a UTM zone without points")
            crs = utm_crs_for(float(np.median(lon)), float(np.median(lat)))
        try:
            proj = pyproj.CRS.from_user_input(crs)
        except pyproj.exceptions.CRSError as exc:
            raise ForecastError(f"unknown CRS {crs!r}: {exc}") from None
        if not proj.is_projected:
            raise ForecastError(f"CRS {crs!r} is not projected; square cells need metres")
        unit = proj.axis_info[0].unit_name if proj.axis_info else "metre"
        if unit not in ("metre", "meter"):
            raise ForecastError(f"CRS {crs!r} is in {unit}, not metres")
        self.crs_ = crs
        self._fwd = pyproj.Transformer.from_crs("EPSG:4326", proj, always_xy=True)
        self._inv = pyproj.Transformer.from_crs(proj, "EPSG:4326", always_xy=True)
        return self

    def keys(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        self._require_fitted()
        x, y = self._fwd.transform(np.asarray(lon, float), np.asarray(lat, float))
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        ok = np.isfinite(x) & np.isfinite(y) & (np.abs(x) < 1e8) & (np.abs(y) < 1e8)
        i = np.floor(np.where(ok, x, 0.0) / self.cell_m).astype(np.int64)
        j = np.floor(np.where(ok, y, 0.0) / self.cell_m).astype(np.int64)
        ok &= (np.abs(i) < _OFF) & (np.abs(j) < _OFF)
        return np.where(ok, (i + _OFF) * _MUL + (j + _OFF), -1)

    def _ij(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        keys = np.asarray(keys, dtype=np.int64)
        return keys // _MUL - _OFF, keys % _MUL - _OFF

    def centres_xy(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        i, j = self._ij(keys)
        return (i + 0.5) * self.cell_m, (j + 0.5) * self.cell_m

    def centres_lonlat(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        self._require_fitted()
        x, y = self.centres_xy(keys)
        lon, lat = self._inv.transform(x, y)
        return np.asarray(lon), np.asarray(lat)

    def boundary(self, key: int) -> list[tuple[float, float]]:
        self._require_fitted()
        i, j = self._ij(np.array([key]))
        x0, y0 = float(i[0]) * self.cell_m, float(j[0]) * self.cell_m
        xs = [x0, x0 + self.cell_m, x0 + self.cell_m, x0, x0]
        ys = [y0, y0, y0 + self.cell_m, y0 + self.cell_m, y0]
        lon, lat = self._inv.transform(xs, ys)
        return [(float(a), float(b)) for a, b in zip(lon, lat, strict=True)]

    def cell_area_m2(self, keys: np.ndarray) -> np.ndarray:
        return np.full(len(np.asarray(keys)), self.cell_m * self.cell_m)

    def keys_in(self, geometry: dict[str, Any]) -> np.ndarray:
        self._require_fitted()
        geom = _geometry(geometry)
        minx, miny, maxx, maxy = geom.bounds
        # Project a dense outline of the bounding box: a straight lon/lat edge
        # is curved in UTM, so its corners alone can miss cells.
        t = np.linspace(0.0, 1.0, 65)
        bx = np.concatenate(
            [
                minx + (maxx - minx) * t,
                np.full(65, maxx),
                maxx - (maxx - minx) * t,
                np.full(65, minx),
            ]
        )
        by = np.concatenate(
            [
                np.full(65, miny),
                miny + (maxy - miny) * t,
                np.full(65, maxy),
                maxy - (maxy - miny) * t,
            ]
        )
        x, y = self._fwd.transform(bx, by)
        i0, i1 = math.floor(np.min(x) / self.cell_m), math.floor(np.max(x) / self.cell_m)
        j0, j1 = math.floor(np.min(y) / self.cell_m), math.floor(np.max(y) / self.cell_m)
        count = (i1 - i0 + 1) * (j1 - j0 + 1)
        if count > 20_000_000:
            raise ForecastError(
                f"area: its bounding box holds {count:,} cells of {self.cell_m:g} m; too many"
            )
        ii, jj = np.meshgrid(np.arange(i0, i1 + 1), np.arange(j0, j1 + 1), indexing="ij")
        keys = ((ii.ravel() + _OFF) * _MUL + (jj.ravel() + _OFF)).astype(np.int64)
        lon, lat = self.centres_lonlat(keys)
        inside = shapely.contains_xy(geom, lon, lat)
        return np.sort(keys[inside])

    @property
    def spacing_m(self) -> float:
        return float(self.cell_m)

    def describe(self) -> dict[str, Any]:
        return {"type": "square", "cell_m": self.cell_m, "crs": getattr(self, "crs_", self.crs)}


@dataclass
class H3Grid(Grid):
    """Uber H3 hexagons of a given resolution (0-15; resolution 9 is about 0.1 km²).

    Distances between hexagon centres are measured in a local azimuthal
    equal-area projection centred on the median of the points passed to
    :meth:`fit`.
    """

    resolution: int = 9

    def __post_init__(self) -> None:
        if not isinstance(self.resolution, int) or not 0 <= self.resolution <= 15:
            raise ForecastError(
                f"H3 resolution must be an integer in 0..15, got {self.resolution!r}"
            )

    def fit(self, lon: np.ndarray, lat: np.ndarray) -> H3Grid:
        lon = np.asarray(lon, dtype=float)
        lat = np.asarray(lat, dtype=float)
        lon0 = float(np.median(lon)) if len(lon) else 0.0
        lat0 = float(np.median(lat)) if len(lat) else 0.0
        self.crs_ = f"+proj=laea +lat_0={lat0:.6f} +lon_0={lon0:.6f} +datum=WGS84 +units=m"
        self._fwd = pyproj.Transformer.from_crs("EPSG:4326", self.crs_, always_xy=True)
        return self

    def keys(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        res = self.resolution
        cell = h3i.latlng_to_cell
        return np.fromiter(
            (
                cell(b, a, res)
                for a, b in zip(
                    np.asarray(lon, float).tolist(), np.asarray(lat, float).tolist(), strict=True
                )
            ),
            dtype=np.int64,
            count=len(lon),
        )

    def centres_lonlat(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        pts = [h3i.cell_to_latlng(int(k)) for k in np.asarray(keys).tolist()]
        lat = np.array([p[0] for p in pts], dtype=float)
        lon = np.array([p[1] for p in pts], dtype=float)
        return lon, lat

    def centres_xy(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        self._require_fitted()
        lon, lat = self.centres_lonlat(keys)
        x, y = self._fwd.transform(lon, lat)
        return np.asarray(x), np.asarray(y)

    def boundary(self, key: int) -> list[tuple[float, float]]:
        ring = [(float(b), float(a)) for a, b in h3i.cell_to_boundary(int(key))]
        return [*ring, ring[0]]

    def cell_area_m2(self, keys: np.ndarray) -> np.ndarray:
        return np.array([h3i.cell_area(int(k), unit="m^2") for k in np.asarray(keys).tolist()])

    def keys_in(self, geometry: dict[str, Any]) -> np.ndarray:
        geom = _geometry(geometry)
        shape = h3.geo_to_h3shape(shapely.geometry.mapping(geom))
        cells = h3.h3shape_to_cells(shape, self.resolution)
        return np.sort(np.array([h3.str_to_int(c) for c in cells], dtype=np.int64))

    @property
    def spacing_m(self) -> float:
        return float(h3.average_hexagon_edge_length(self.resolution, unit="m") * math.sqrt(3.0))

    def describe(self) -> dict[str, Any]:
        return {"type": "h3", "resolution": self.resolution, "spacing_m": round(self.spacing_m, 1)}


@dataclass(frozen=True)
class StudyArea:
    """The cells a forecast ranks, in a fixed order (sorted keys).

    Parameters
    ----------
    grid : Grid
        A fitted grid.
    keys : ndarray of int64
        Sorted, unique cell keys.
    """

    grid: Grid
    keys: np.ndarray
    _tree_cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        keys = np.asarray(self.keys, dtype=np.int64).reshape(-1)
        if len(keys) == 0:
            raise ForecastError("the study area has no cells")
        if (keys < 0).any():
            raise ForecastError("the study area holds invalid cell keys")
        if len(keys) > 1 and not (np.diff(keys) > 0).all():
            keys = np.unique(keys)
        keys.setflags(write=False)
        object.__setattr__(self, "keys", keys)

    @classmethod
    def from_events(cls, grid: Grid, events: Events) -> StudyArea:
        """The cells holding at least one of ``events``."""
        keys = grid.keys(events.lon, events.lat)
        keys = np.unique(keys[keys >= 0])
        if len(keys) == 0:
            raise ForecastError("no events to define the study area (none before the start?)")
        return cls(grid, keys)

    @classmethod
    def from_geojson(cls, grid: Grid, geometry: dict[str, Any]) -> StudyArea:
        """The cells whose centre lies in a GeoJSON Polygon, MultiPolygon, Feature(Collection)."""
        keys = grid.keys_in(geometry)
        if len(keys) == 0:
            raise ForecastError("area: no cell centre lies inside the given polygon(s)")
        return cls(grid, keys)

    @property
    def n_cells(self) -> int:
        return len(self.keys)

    def index(self, keys: np.ndarray) -> np.ndarray:
        """Dense index of each key, -1 for keys outside the area."""
        keys = np.asarray(keys, dtype=np.int64)
        pos = np.searchsorted(self.keys, keys)
        pos = np.minimum(pos, len(self.keys) - 1)
        return np.where(self.keys[pos] == keys, pos, -1)

    @cached_property
    def centres_xy(self) -> np.ndarray:
        """``(n_cells, 2)`` cell centres in metres."""
        x, y = self.grid.centres_xy(self.keys)
        return np.column_stack([x, y])

    def pairs_within(self, radius_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All ordered pairs of cells whose centres are at most ``radius_m`` apart.

        Returns ``(i, j, distance_m)``, including each cell with itself at
        distance 0, sorted by ``i`` then distance.
        """
        if "tree" not in self._tree_cache:
            self._tree_cache["tree"] = cKDTree(self.centres_xy)
        tree: cKDTree = self._tree_cache["tree"]
        # A small slack keeps cells exactly at the radius despite rounding in the projection.
        found = tree.query_pairs(radius_m + 1e-6 * max(radius_m, 1.0) + 1e-3, output_type="ndarray")
        n = self.n_cells
        i = np.concatenate([found[:, 0], found[:, 1], np.arange(n)])
        j = np.concatenate([found[:, 1], found[:, 0], np.arange(n)])
        xy = self.centres_xy
        dist = np.hypot(*(xy[i] - xy[j]).T)
        order = np.lexsort((dist, i))
        return i[order], j[order], dist[order]

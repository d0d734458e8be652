"""Travel-time sources: anything with ``matrix(locations) -> seconds``.

The planner asks a :class:`TravelTimes` for the full matrix of the locations it
needs (officer starts and ends, then points) once per solve, and the checker asks
again in the same way, so a source must be deterministic. Today's source is the
great-circle distance times a detour factor at the speed of the travel mode; a
road-network matrix (OSRM, Valhalla, a cached table) can replace it later by
implementing the same protocol, e.g. :class:`MatrixTravel`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from sejuk.analytics.geo.distance import haversine_m

from .model import Location, RoutingError

__all__ = [
    "MODE_SPEEDS_KMH",
    "EuclideanTravel",
    "HaversineTravel",
    "MatrixTravel",
    "TravelTimes",
]

#: Urban door-to-door speeds of the travel modes, in km/h, before the detour factor.
MODE_SPEEDS_KMH: dict[str, float] = {"motorbike": 25.0, "foot": 4.5}


@runtime_checkable
class TravelTimes(Protocol):
    """A travel-time source."""

    def matrix(self, locations: Sequence[Location]) -> NDArray[np.float64]:
        """Travel times between locations.

        Parameters
        ----------
        locations : sequence of Location
            The places, in the source's coordinates.

        Returns
        -------
        numpy.ndarray
            ``(n, n)`` float array: ``[i, j]`` is the time from ``locations[i]``
            to ``locations[j]``, finite and >= 0, zero on the diagonal.
        """
        ...


def _as_array(locations: Sequence[Location]) -> NDArray[np.float64]:
    array = np.asarray(locations, dtype=np.float64).reshape(-1, 2)
    if not np.isfinite(array).all():
        raise RoutingError("locations must be finite numbers")
    return array


@dataclass(frozen=True)
class HaversineTravel:
    """Great-circle distance x ``detour`` at ``speed_kmh``, in seconds.

    Parameters
    ----------
    detour : float, default 1.3
        Road distance over straight-line distance; 1.3 is a common urban figure.
    speed_kmh : float, default 25.0
        Average door-to-door speed. See :meth:`for_mode` for the presets.

    Examples
    --------
    >>> t = HaversineTravel.for_mode("foot").matrix([(-6.18, 106.85), (-6.19, 106.85)])
    >>> round(float(t[0, 1]))  # 1.11 km x 1.3 at 4.5 km/h
    1156
    """

    detour: float = 1.3
    speed_kmh: float = MODE_SPEEDS_KMH["motorbike"]

    def __post_init__(self) -> None:
        if not (np.isfinite(self.detour) and self.detour >= 1.0):
            raise RoutingError(f"detour must be >= 1, got {self.detour!r}")
        if not (np.isfinite(self.speed_kmh) and self.speed_kmh > 0):
            raise RoutingError(f"speed_kmh must be > 0, got {self.speed_kmh!r}")

    @classmethod
    def for_mode(cls, mode: str, detour: float = 1.3) -> HaversineTravel:
        """The preset of a travel mode: ``"motorbike"`` (25 km/h) or ``"foot"`` (4.5 km/h)."""
        try:
            speed = MODE_SPEEDS_KMH[mode]
        except KeyError:
            known = ", ".join(sorted(MODE_SPEEDS_KMH))
            raise RoutingError(f"unknown travel mode {mode!r} (known: {known})") from None
        return cls(detour=detour, speed_kmh=speed)

    def matrix(self, locations: Sequence[Location]) -> NDArray[np.float64]:
        xy = _as_array(locations)
        lat, lon = xy[:, 0], xy[:, 1]
        if (np.abs(lat) > 90).any() or (np.abs(lon) > 180).any():
            raise RoutingError("HaversineTravel expects (lat, lon) in degrees")
        metres = haversine_m(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
        seconds = np.asarray(metres) * self.detour / (self.speed_kmh / 3.6)
        np.fill_diagonal(seconds, 0.0)
        return seconds


@dataclass(frozen=True)
class EuclideanTravel:
    """Planar Euclidean distance / ``speed``: the convention of the TOPTW benchmark.

    The distances are exact (not truncated): that is the convention under which
    the published Righini & Salani optima are reproduced (see docs/routing.md).
    """

    speed: float = 1.0

    def __post_init__(self) -> None:
        if not (np.isfinite(self.speed) and self.speed > 0):
            raise RoutingError(f"speed must be > 0, got {self.speed!r}")

    def matrix(self, locations: Sequence[Location]) -> NDArray[np.float64]:
        xy = _as_array(locations)
        diff = xy[:, None, :] - xy[None, :, :]
        return np.sqrt((diff**2).sum(axis=-1)) / self.speed


@dataclass(frozen=True)
class MatrixTravel:
    """Times looked up in a precomputed table (e.g. from a road-network engine).

    Parameters
    ----------
    locations : sequence of Location
        The table's locations; a requested location must match one exactly.
    times : array_like
        ``(n, n)`` travel times between them.
    """

    locations: tuple[Location, ...]
    times: NDArray[np.float64] = field(compare=False)

    def __post_init__(self) -> None:
        locs = tuple((float(a), float(b)) for a, b in self.locations)
        times = np.asarray(self.times, dtype=np.float64)
        if times.shape != (len(locs), len(locs)):
            raise RoutingError(f"times must be {len(locs)}x{len(locs)}, got {times.shape}")
        if not np.isfinite(times).all() or (times < 0).any():
            raise RoutingError("times must be finite and >= 0")
        object.__setattr__(self, "locations", locs)
        object.__setattr__(self, "times", times)

    @property
    def _index(self) -> Mapping[Location, int]:
        cache = self.__dict__.get("_idx")
        if cache is None:
            cache = {loc: i for i, loc in enumerate(self.locations)}
            object.__setattr__(self, "_idx", cache)
        return cache

    def matrix(self, locations: Sequence[Location]) -> NDArray[np.float64]:
        index = self._index
        try:
            rows = [index[(float(a), float(b))] for a, b in locations]
        except KeyError as exc:
            raise RoutingError(f"location {exc.args[0]} is not in the travel matrix") from None
        ids = np.asarray(rows, dtype=np.intp)
        return self.times[np.ix_(ids, ids)]

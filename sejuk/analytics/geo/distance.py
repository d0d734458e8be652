"""Great-circle distances."""

from __future__ import annotations

from typing import overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["EARTH_RADIUS_M", "haversine_m"]

#: IUGG mean Earth radius. The spherical model is off by up to ~0.5% against
#: the WGS84 ellipsoid, which is fine for proximity checks and ranking.
EARTH_RADIUS_M = 6_371_008.8


@overload
def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float: ...
@overload
def haversine_m(
    lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike
) -> float | NDArray[np.float64]: ...


def haversine_m(
    lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike
) -> float | NDArray[np.float64]:
    """Great-circle distance in metres between points given in degrees.

    Parameters
    ----------
    lat1, lon1, lat2, lon2 : float or array_like
        Coordinates in decimal degrees. Arrays are broadcast against each
        other with the usual numpy rules, so one point can be compared with
        many.

    Returns
    -------
    float or numpy.ndarray
        Distance in metres on a sphere of radius :data:`EARTH_RADIUS_M`; a
        Python float when every input is a scalar. NaN inputs give NaN.

    Examples
    --------
    >>> round(haversine_m(0.0, 0.0, 1.0, 0.0))
    111195
    """
    phi1 = np.radians(np.asarray(lat1, dtype=np.float64))
    phi2 = np.radians(np.asarray(lat2, dtype=np.float64))
    dphi = phi2 - phi1
    dlmb = np.radians(np.asarray(lon2, dtype=np.float64) - np.asarray(lon1, dtype=np.float64))
    h = np.sin(dphi / 2.0) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlmb / 2.0) ** 2
    # Rounding can push h a hair above 1 for antipodal points, and arcsin
    # would then return NaN instead of half the circumference.
    distance = 2.0 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    if distance.ndim == 0:
        return float(distance)
    return distance

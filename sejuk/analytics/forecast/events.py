"""Timestamped, geocoded events: the input of every forecast model.

Times are kept as local wall-clock time, in days since 1970-01-01 (the
fractional part is the time of day). Forecasts are made per calendar day, so
a time-zone designator in the input (``Z``, ``+07:00``) is *not* applied: the
date and clock time are taken as written. Crime and report exports usually
carry local time, sometimes mislabelled as UTC (the Cincinnati file stamps
local midnight as ``T00:00:00Z``); shifting those to another zone would move
events to the wrong day.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import EventsFileError, ForecastError

__all__ = [
    "MISSING_VALUES",
    "Events",
    "ReadReport",
    "date_of",
    "day_number",
    "parse_date",
    "parse_time",
    "read_events_csv",
]

_EPOCH = dt.date(1970, 1, 1)
_EPOCH_ORDINAL = _EPOCH.toordinal()
# US-style dates as exported by many city data portals: 01/31/2019 11:59:00 PM.
_US_RE = re.compile(
    r"(\d{1,2})/(\d{1,2})/(\d{4})"
    r"(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*([AaPp][Mm])?)?"
)
_SNIPPET = 40
#: Cell values that mean "not geocoded" in common exports (R's NA, pandas' NaN, SQL NULL).
MISSING_VALUES = frozenset({"", "na", "nan", "null", "none", "n/a"})


def day_number(date: dt.date) -> int:
    """Days since 1970-01-01 of a calendar date."""
    return date.toordinal() - _EPOCH_ORDINAL


def date_of(day: int) -> dt.date:
    """Inverse of :func:`day_number`."""
    return dt.date.fromordinal(int(day) + _EPOCH_ORDINAL)


def parse_time(text: str) -> float:
    """Parse a date or date-time into fractional days since 1970-01-01.

    Accepts ISO 8601 dates and date-times (``2019-01-31``, ``2019-01-31 23:05``,
    ``2019-01-31T23:05:00Z``, ``2019-01-31T23:05:00+07:00``) and US-style
    ``01/31/2019[ 11:05[:00][ PM]]``. A UTC offset is ignored (see the module
    docstring).

    Raises
    ------
    ValueError
        If the text is none of these formats or not a real date.
    """
    text = text.strip()
    if not text:
        raise ValueError("empty")
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        match = _US_RE.fullmatch(text)
        if match is None:
            raise
        month, day, year, hour, minute, second, ampm = match.groups()
        h = int(hour or 0)
        if ampm:
            if not 1 <= h <= 12:
                raise ValueError(f"hour {h} with {ampm}") from None
            h = h % 12 + (12 if ampm.lower() == "pm" else 0)
        value = dt.datetime(int(year), int(month), int(day), h, int(minute or 0), int(second or 0))
    seconds = value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6
    return float(value.date().toordinal() - _EPOCH_ORDINAL) + seconds / 86400.0


def parse_date(text: str) -> int:
    """Parse a calendar date (or the date part of a date-time) into days since 1970-01-01."""
    return math.floor(parse_time(text))


@dataclass(frozen=True)
class Events:
    """Point events with a time and WGS84 coordinates.

    Parameters
    ----------
    time : ndarray of float64
        Local wall-clock time in days since 1970-01-01; the integer part is the
        calendar day used by the forecasts.
    lon, lat : ndarray of float64
        WGS84 longitude in [-180, 180] and latitude in [-90, 90].

    Raises
    ------
    ForecastError
        If the arrays differ in length, hold non-finite values or coordinates
        out of range.
    """

    time: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    day: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        arrays = {}
        for name in ("time", "lon", "lat"):
            try:
                arr = np.asarray(getattr(self, name), dtype=np.float64).reshape(-1)
            except (TypeError, ValueError) as exc:
                raise ForecastError(f"events: {name} must be numbers ({exc})") from None
            arrays[name] = arr
        n = len(arrays["time"])
        if len(arrays["lon"]) != n or len(arrays["lat"]) != n:
            raise ForecastError(
                f"events: time, lon and lat differ in length "
                f"({n}, {len(arrays['lon'])}, {len(arrays['lat'])})"
            )
        for name, arr in arrays.items():
            bad = ~np.isfinite(arr)
            if bad.any():
                raise ForecastError(
                    f"events: {name} holds {int(bad.sum())} non-finite value(s), "
                    f"first at index {int(np.argmax(bad))}"
                )
        for name, limit in (("lon", 180.0), ("lat", 90.0)):
            bad = np.abs(arrays[name]) > limit
            if bad.any():
                i = int(np.argmax(bad))
                raise ForecastError(
                    f"events: {name} {float(arrays[name][i])!r} at index {i} is outside "
                    f"[-{limit:g}, {limit:g}]"
                )
        for name, arr in arrays.items():
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)
        day = np.floor(arrays["time"]).astype(np.int64)
        day.setflags(write=False)
        object.__setattr__(self, "day", day)

    def __len__(self) -> int:
        return len(self.time)

    @classmethod
    def from_records(cls, records: list[tuple[dt.datetime | dt.date, float, float]]) -> Events:
        """Build events from ``(datetime or date, lon, lat)`` tuples (time zones ignored)."""
        times = np.empty(len(records))
        lon = np.empty(len(records))
        lat = np.empty(len(records))
        for i, (when, x, y) in enumerate(records):
            if isinstance(when, dt.datetime):
                frac = (when.hour * 3600 + when.minute * 60 + when.second) / 86400.0
                times[i] = day_number(when.date()) + frac
            elif isinstance(when, dt.date):
                times[i] = day_number(when)
            else:
                raise ForecastError(f"events: record {i} has no date or datetime: {when!r}")
            lon[i], lat[i] = x, y
        return cls(times, lon, lat)

    @classmethod
    def concat(cls, *parts: Events) -> Events:
        """All events of several sources (e.g. incidents and verified reports) as one."""
        if not parts:
            return cls(np.empty(0), np.empty(0), np.empty(0))
        return cls(
            np.concatenate([p.time for p in parts]),
            np.concatenate([p.lon for p in parts]),
            np.concatenate([p.lat for p in parts]),
        )

    def select(self, mask: np.ndarray) -> Events:
        """The events where ``mask`` is true."""
        return Events(self.time[mask], self.lon[mask], self.lat[mask])

    def before(self, day: int) -> Events:
        """The events on days strictly before ``day``."""
        return self.select(self.day < day)


def _open_text(path: Path) -> io.TextIOBase:
    # Detect gzip by its magic bytes rather than the file name, so a
    # renamed download still reads.
    with open(path, "rb") as raw:
        magic = raw.read(2)
    if magic == b"\x1f\x8b":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig", newline="")
    return open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115 - closed by caller


def _snip(text: str) -> str:
    return text if len(text) <= _SNIPPET else text[: _SNIPPET - 1] + "…"


@dataclass
class ReadReport:
    """What :func:`read_events_csv` kept and skipped."""

    rows: int = 0
    kept: int = 0
    no_location: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    first_errors: list[str] = field(default_factory=list)


def read_events_csv(
    path: str | Path,
    *,
    time_col: str,
    lon_col: str,
    lat_col: str,
    skip_bad: bool = False,
    drop_missing_location: bool = True,
    report: ReadReport | None = None,
) -> Events:
    """Read events from a CSV file (plain or gzip-compressed).

    Parameters
    ----------
    path : str or Path
        CSV with a header row; gzip is detected from the file's first bytes.
    time_col, lon_col, lat_col : str
        Column names of the date or date-time (see :func:`parse_time`), the
        WGS84 longitude and latitude.
    skip_bad : bool, default False
        Skip rows with an invalid date or coordinate instead of raising; the
        counts per reason go to ``report``.
    drop_missing_location : bool, default True
        Rows whose longitude or latitude is empty or a missing-value marker
        (``NA``, ``NaN``, ``null``, ``None``, ``N/A``) are events that were
        never geocoded: drop them and count them in ``report.no_location``.
        With False they are errors like any other bad value.
    report : ReadReport, optional
        Filled with row counts and the first few problems.

    Returns
    -------
    Events

    Raises
    ------
    EventsFileError
        With ``path:line`` and the column for the first bad row (unless
        ``skip_bad``), for a missing file, header or column, or when no usable
        row remains.
    """
    path = Path(path)
    report = report if report is not None else ReadReport()
    try:
        handle = _open_text(path)
    except OSError as exc:
        raise EventsFileError(f"{path}: cannot open ({exc.strerror or exc})") from None
    times: list[float] = []
    lons: list[float] = []
    lats: list[float] = []
    with handle:
        reader = csv.reader(handle)
        try:
            header = next(reader)
        except StopIteration:
            raise EventsFileError(f"{path}: empty file, expected a header row") from None
        except (csv.Error, UnicodeDecodeError, OSError, EOFError) as exc:
            raise EventsFileError(f"{path}: line 1: not a readable CSV header ({exc})") from None
        names = [h.strip() for h in header]
        cols = {}
        for role, name in (("time", time_col), ("longitude", lon_col), ("latitude", lat_col)):
            if name not in names:
                raise EventsFileError(
                    f"{path}: missing {role} column {name!r} "
                    f"(columns: {', '.join(names[:20]) or 'none'})"
                )
            cols[role] = names.index(name)
        ti, xi, yi = cols["time"], cols["longitude"], cols["latitude"]
        need = max(ti, xi, yi)

        def problem(line: int, reason: str, message: str) -> None:
            full = f"{path}: line {line}: {message}"
            if not skip_bad:
                raise EventsFileError(full)
            report.skipped[reason] += 1
            if len(report.first_errors) < 5:
                report.first_errors.append(full)

        try:
            for row in reader:
                line = reader.line_num
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue  # blank line
                report.rows += 1
                if len(row) <= need:
                    problem(line, "short row", f"only {len(row)} field(s), expected {len(names)}")
                    continue
                raw_t, raw_x, raw_y = row[ti], row[xi], row[yi]
                if drop_missing_location and (
                    raw_x.strip().lower() in MISSING_VALUES
                    or raw_y.strip().lower() in MISSING_VALUES
                ):
                    report.no_location += 1
                    continue
                try:
                    t = parse_time(raw_t)
                except (ValueError, OverflowError):
                    what = "empty date" if not raw_t.strip() else f"bad date {_snip(raw_t)!r}"
                    problem(line, "bad date", f"{what} in column {time_col}")
                    continue
                try:
                    x = float(raw_x)
                    y = float(raw_y)
                except ValueError:
                    bad_col, bad_raw = (
                        (lon_col, raw_x) if not _is_float(raw_x) else (lat_col, raw_y)
                    )
                    what = (
                        "empty value" if not bad_raw.strip() else f"bad number {_snip(bad_raw)!r}"
                    )
                    problem(line, "bad coordinate", f"{what} in column {bad_col}")
                    continue
                if not (math.isfinite(x) and -180.0 <= x <= 180.0):
                    problem(
                        line,
                        "coordinate out of range",
                        f"longitude {_snip(raw_x)!r} in column {lon_col} is outside [-180, 180]",
                    )
                    continue
                if not (math.isfinite(y) and -90.0 <= y <= 90.0):
                    problem(
                        line,
                        "coordinate out of range",
                        f"latitude {_snip(raw_y)!r} in column {lat_col} is outside [-90, 90]",
                    )
                    continue
                times.append(t)
                lons.append(x)
                lats.append(y)
        except csv.Error as exc:
            raise EventsFileError(
                f"{path}: line {reader.line_num}: malformed CSV ({exc})"
            ) from None
        except (UnicodeDecodeError, OSError, EOFError) as exc:
            raise EventsFileError(
                f"{path}: line {reader.line_num}: unreadable ({type(exc).__name__}: {exc})"
            ) from None
    report.kept = len(times)
    if not times:
        raise EventsFileError(
            f"{path}: no usable rows ({report.rows} read, {report.no_location} without location)"
        )
    return Events(np.array(times), np.array(lons), np.array(lats))


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True

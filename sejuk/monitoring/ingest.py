"""Parse posts from JSON-lines, CSV or a webhook body into validated inputs.

Fields (docs/monitoring.md): ``platform``, ``author``, ``text``, ``time``
(required); ``id``, ``url``, ``lat``, ``lon``, ``location`` (optional).
Every line is checked on its own: a bad line becomes a :class:`LineError`
with its number and the reason, and the good lines go on to ingestion.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import math
import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sejuk.analytics.claims.archive import ClaimFileError, csv_records

FIELDS = ("platform", "id", "author", "text", "time", "url", "lat", "lon", "location")
REQUIRED = ("platform", "author", "text", "time")
MAX_TEXT_CHARS = 10_000
MAX_LINE_BYTES = 2 * 1024 * 1024
WIB = ZoneInfo("Asia/Jakarta")
_PLATFORM = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,29}$")
# Posts dated before this or more than a day in the future are typos.
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


class PostError(ValueError):
    pass


@dataclass(frozen=True)
class PostInput:
    platform: str
    external_id: str
    author: str
    text: str
    posted_at: dt.datetime
    url: str = ""
    lat: float | None = None
    lon: float | None = None
    location_text: str = ""


@dataclass(frozen=True)
class LineError:
    line: int
    message: str

    def as_dict(self) -> dict:
        return {"line": self.line, "error": self.message}


@dataclass
class Parsed:
    posts: list[tuple[int, PostInput]] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)
    blank: int = 0
    lines: int = 0


def _has_surrogates(value: str) -> bool:
    return any("\udc80" <= c <= "\udcff" for c in value)


def _str(obj: dict, name: str, limit: int, *, required: bool = False) -> str:
    value = obj.get(name)
    if value is None or value == "":
        if required:
            raise PostError(f"{name} is missing")
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise PostError(f"{name} must be text, not {type(value).__name__}")
    value = str(value).strip()
    if "\x00" in value:
        raise PostError(f"{name} contains a NUL character")
    if _has_surrogates(value):
        raise PostError(f"{name} is not valid UTF-8")
    if required and not value:
        raise PostError(f"{name} is empty")
    if len(value) > limit:
        raise PostError(f"{name} is {len(value):,} characters long; at most {limit:,}")
    return value


def parse_time(value: object, now: dt.datetime | None = None) -> dt.datetime:
    """ISO 8601 (``2024-11-20T08:15:00+07:00``; naive means WIB) or Unix seconds."""
    if isinstance(value, bool) or value is None or value == "":
        raise PostError("time is missing")
    if isinstance(value, int | float) or (
        isinstance(value, str) and re.fullmatch(r"\d{9,11}(\.\d+)?", value.strip())
    ):
        try:
            when = dt.datetime.fromtimestamp(float(value), tz=dt.UTC)
        except (OverflowError, OSError, ValueError):
            raise PostError(f"time {value!r} is not a Unix timestamp") from None
    elif isinstance(value, str):
        try:
            when = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise PostError(
                f"time {value[:40]!r} is not ISO 8601 like 2024-11-20T08:15:00+07:00"
            ) from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=WIB)
    else:
        raise PostError(f"time must be text or a number, not {type(value).__name__}")
    now = now or dt.datetime.now(dt.UTC)
    if when < EARLIEST or when > now + dt.timedelta(days=1):
        raise PostError(f"time {when.isoformat()} is out of range (2000 to tomorrow)")
    return when.astimezone(dt.UTC)


def _coord(obj: dict, name: str, low: float, high: float) -> float | None:
    value = obj.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise PostError(f"{name} must be a number")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise PostError(f"{name} {str(value)[:30]!r} is not a number") from None
    if not math.isfinite(number) or not low <= number <= high:
        raise PostError(f"{name} must be between {low:g} and {high:g}")
    return number


def parse_post(obj: object, now: dt.datetime | None = None) -> PostInput:
    """One post from a JSON object (or a CSV row as a dict). Raises PostError."""
    if not isinstance(obj, dict):
        raise PostError(f"a post must be a JSON object, not {type(obj).__name__}")
    unknown = [k for k in obj if k not in FIELDS]
    if unknown:
        raise PostError(
            f"unknown field(s) {', '.join(repr(str(k)[:30]) for k in unknown[:5])}; "
            f"the fields are {', '.join(FIELDS)}"
        )
    missing = [k for k in REQUIRED if obj.get(k) in (None, "")]
    if missing:
        raise PostError(f"missing field(s) {', '.join(missing)}")
    platform = _str(obj, "platform", 30, required=True).lower()
    if not _PLATFORM.match(platform):
        raise PostError(
            f"platform {platform!r} must be a short name like twitter, facebook, tiktok"
        )
    text = _str(obj, "text", MAX_TEXT_CHARS, required=True)
    author = _str(obj, "author", 150, required=True)
    posted_at = parse_time(obj.get("time"), now)
    url = _str(obj, "url", 500)
    if url and not url.startswith(("http://", "https://")):
        raise PostError("url must start with http:// or https://")
    lat = _coord(obj, "lat", -90, 90)
    lon = _coord(obj, "lon", -180, 180)
    if (lat is None) != (lon is None):
        raise PostError("give both lat and lon, or neither")
    external_id = _str(obj, "id", 200)
    if not external_id:
        # No platform id: the same post re-sent must still be recognised.
        raw = f"{platform}\n{author}\n{posted_at.isoformat()}\n{text}".encode()
        external_id = "sha256:" + hashlib.sha256(raw).hexdigest()[:32]
    return PostInput(
        platform=platform,
        external_id=external_id,
        author=author,
        text=text,
        posted_at=posted_at,
        url=url,
        lat=lat,
        lon=lon,
        location_text=_str(obj, "location", 300),
    )


def _decode_line(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PostError(
            f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at position {exc.start})"
        ) from None


def parse_jsonl(stream: io.BufferedIOBase | bytes, now: dt.datetime | None = None) -> Parsed:
    """JSON lines: one object per line; blank lines are skipped."""
    if isinstance(stream, bytes):
        stream = io.BytesIO(stream)
    out = Parsed()
    for number, raw in enumerate(stream, start=1):
        out.lines = number
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        if not raw.strip():
            out.blank += 1
            continue
        try:
            if len(raw) > MAX_LINE_BYTES:
                raise PostError(f"line is {len(raw):,} bytes long; at most {MAX_LINE_BYTES:,}")
            line = _decode_line(raw)
            try:
                obj = json.loads(line)
            except ValueError as exc:
                raise PostError(f"not valid JSON ({exc.msg} at column {exc.colno})") from None
            out.posts.append((number, parse_post(obj, now)))
        except PostError as exc:
            out.errors.append(LineError(number, str(exc)))
    return out


def parse_csv(data: bytes, now: dt.datetime | None = None) -> Parsed:
    """CSV with a header row naming the fields (``,`` or ``;``); line numbers
    are those of the file (a quoted field may span lines)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    text = data.decode("utf-8", errors="surrogateescape")
    out = Parsed()
    try:
        records = csv_records(text, FIELDS, REQUIRED)
    except ClaimFileError as exc:
        out.errors.append(LineError(1, str(exc)))
        return out
    out.lines = text.count("\n") + (not text.endswith("\n"))
    for number, values, error in records:
        if error:
            out.errors.append(LineError(number, error))
        elif values is None:
            out.blank += 1
        else:
            try:
                obj = {k: v for k, v in values.items() if v}
                out.posts.append((number, parse_post(obj, now)))
            except PostError as exc:
                out.errors.append(LineError(number, str(exc)))
    return out


def sniff_format(name: str, head: bytes) -> str:
    """``jsonl`` or ``csv`` from the file name, else from the first byte."""
    lower = name.lower()
    if lower.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    if lower.endswith(".csv"):
        return "csv"
    return "jsonl" if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{") else "csv"

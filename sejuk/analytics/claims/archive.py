"""Fact-checked claims and the readers of their public formats.

A :class:`Claim` is one archived fact-check: the claim text, its verdict
(``hoax``, ``valid`` or ``misleading``), where the verdict comes from and when
it was made. Two readers build claims from files:

* :func:`read_pratiwi` reads the seed archive, Pratiwi, Asmara & Rahutomo
  (ICTS 2017): 600 Indonesian news texts labelled ``Hoax``/``Valid``,
  ``;``-separated, Windows-1252 text (the README of the data says latin-1; its
  curly quotes are cp1252 bytes).
* :func:`read_claims_csv` reads the documented CSV format for adding more
  (``docs/monitoring.md``): a header row, then one claim per row with the
  columns ``text`` and ``verdict`` (required) and ``source``, ``date``,
  ``url``, ``ref``, ``title`` (optional).

Readers never stop at the first bad row: they return the good claims and one
:class:`RowError` per bad row, with its line number and the reason.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "CSV_COLUMNS",
    "MAX_CLAIM_CHARS",
    "VERDICTS",
    "Claim",
    "ClaimFileError",
    "RowError",
    "normalize_verdict",
    "read_claims_csv",
    "read_pratiwi",
    "summarize",
]

VERDICTS: tuple[str, ...] = ("hoax", "valid", "misleading")
# Spellings people use for the three verdicts, Indonesian first.
_VERDICT_ALIASES = {
    "hoax": "hoax",
    "hoaks": "hoax",
    "hoaxes": "hoax",
    "false": "hoax",
    "salah": "hoax",
    "palsu": "hoax",
    "disinformasi": "hoax",
    "valid": "valid",
    "true": "valid",
    "benar": "valid",
    "fakta": "valid",
    "misleading": "misleading",
    "menyesatkan": "misleading",
    "missing context": "misleading",
    "kurang konteks": "misleading",
    "sebagian benar": "misleading",
}
MAX_CLAIM_CHARS = 20_000
CSV_COLUMNS: tuple[str, ...] = ("text", "verdict", "source", "date", "url", "ref", "title")
_REQUIRED = ("text", "verdict")
PRATIWI_SOURCE = "Pratiwi, Asmara & Rahutomo (ICTS 2017), 600 berita hoax/valid"


class ClaimFileError(ValueError):
    """The file as a whole cannot be read (no header, wrong columns, not a CSV)."""


def normalize_verdict(raw: str) -> str | None:
    """``'Hoaks'``, ``'HOAX'``, ``'salah'`` -> ``'hoax'``; None if not understood."""
    key = re.sub(r"\s+", " ", (raw or "").strip().casefold())
    return _VERDICT_ALIASES.get(key)


def summarize(text: str, limit: int = 200) -> str:
    """A one-line summary: the first sentence, cut at ``limit`` characters."""
    flat = re.sub(r"\s+", " ", text or "").strip()
    match = re.match(r"(.{40,}?[.!?])(\s|$)", flat)
    first = match.group(1) if match else flat
    if len(first) > limit:
        first = first[: limit - 1].rsplit(" ", 1)[0] + "…"
    return first


@dataclass(frozen=True)
class Claim:
    """One fact-checked claim.

    Parameters
    ----------
    text : str
        The claim or the article that carries it (what is matched).
    verdict : str
        ``"hoax"``, ``"valid"`` or ``"misleading"``.
    source : str
        Who checked it (``"turnbackhoax.id"``, ``"Kominfo"``, a dataset).
    date : datetime.date or None
        When it was checked or published.
    url : str
        Where the fact-check can be read.
    ref : str
        A stable identifier within ``source`` (re-importing updates, not
        duplicates); defaults to a hash of the text.
    title : str
        A short summary shown in lists; defaults to the first sentence.
    """

    text: str
    verdict: str
    source: str = ""
    date: dt.date | None = None
    url: str = ""
    ref: str = ""
    title: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.text, str) or not self.text.strip():
            raise ValueError("a claim needs its text")
        if len(self.text) > MAX_CLAIM_CHARS:
            raise ValueError(
                f"the claim text is {len(self.text):,} characters; at most {MAX_CLAIM_CHARS:,}"
            )
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict {self.verdict!r} is not one of {', '.join(VERDICTS)}")
        if self.date is not None and not isinstance(self.date, dt.date):
            raise ValueError("date must be a datetime.date or None")
        if not self.ref:
            digest = hashlib.sha256(self.text.strip().encode("utf-8")).hexdigest()[:16]
            object.__setattr__(self, "ref", f"sha256:{digest}")
        if not self.title:
            object.__setattr__(self, "title", summarize(self.text))


@dataclass(frozen=True)
class RowError:
    """A row that could not be read: ``line`` is 1-based in the file."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class ReadResult:
    claims: list[Claim] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    # Rows skipped without being an error (blank lines).
    skipped: int = 0


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM); undecodable bytes become surrogates so
    that the rows holding them can be reported, not the whole file."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return data.decode("utf-8", errors="surrogateescape")


def _has_surrogates(value: str) -> bool:
    return any("\udc80" <= c <= "\udcff" for c in value)


def read_claims_csv(source: bytes | str | Path, *, default_source: str = "") -> ReadResult:
    """Read claims in the documented CSV format.

    The delimiter is ``,`` or ``;`` (sniffed from the header). Every row is
    checked on its own: a bad row becomes a :class:`RowError` and the others
    are still returned. Raises :class:`ClaimFileError` when the header is
    missing or lacks a required column.
    """
    if isinstance(source, Path):
        data = source.read_bytes()
    elif isinstance(source, str):
        data = source.encode("utf-8")
    else:
        data = source
    text = _decode(data)
    try:
        records = csv_records(text, CSV_COLUMNS, _REQUIRED)
    except ClaimFileError as exc:
        raise ClaimFileError(f"line 1: {exc}") from None
    out = ReadResult()
    for line, values, error in records:
        if error:
            out.errors.append(RowError(line, error))
            continue
        if values is None:
            out.skipped += 1
            continue
        bad = [k for k, v in values.items() if _has_surrogates(v)]
        if bad:
            out.errors.append(RowError(line, f"not valid UTF-8 in {', '.join(bad)}"))
            continue
        try:
            out.claims.append(_claim_from_values(values, default_source))
        except ValueError as exc:
            out.errors.append(RowError(line, str(exc)))
    return out


def csv_records(
    text: str, columns: Sequence[str], required: Sequence[str]
) -> Iterator[tuple[int, dict[str, str] | None, str]]:
    """The rows of a CSV text whose header names some of ``columns``.

    The delimiter is ``,`` or ``;`` (sniffed from the header). Raises
    :class:`ClaimFileError` at once when the header is missing, lacks one of
    ``required`` or names an unknown column. Then yields ``(line, values,
    error)`` per row, ``line`` being the row's first physical line:
    ``values`` maps the header to the stripped cells, is None for a blank row
    and for a bad one, whose ``error`` says why (after a row that is not CSV
    at all, reading stops).
    """
    first = text.split("\n", 1)[0]
    if not first.strip():
        raise ClaimFileError("no header row; the columns are " + ", ".join(columns))
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [h.strip().casefold() for h in next(reader)]
    missing = [c for c in required if c not in header]
    unknown = [h for h in header if h not in columns]
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"missing column(s) {', '.join(missing)}")
        if unknown:
            parts.append(f"unknown column(s) {', '.join(repr(u[:30]) for u in unknown[:5])}")
        raise ClaimFileError(f"{'; '.join(parts)}; the columns are {', '.join(columns)}")
    return _csv_rows(reader, header)


def _csv_rows(reader, header: list[str]) -> Iterator[tuple[int, dict[str, str] | None, str]]:
    while True:
        line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield line, None, f"not a CSV row ({exc})"
            return
        if not any(cell.strip() for cell in row):
            yield line, None, ""
        elif len(row) != len(header):
            yield line, None, f"{len(row)} fields; the header has {len(header)}"
        else:
            yield line, dict(zip(header, (cell.strip() for cell in row), strict=True)), ""


def _claim_from_values(values: dict[str, str], default_source: str) -> Claim:
    verdict = normalize_verdict(values.get("verdict", ""))
    if verdict is None:
        raise ValueError(
            f"verdict {values.get('verdict', '')!r} is not one of {', '.join(VERDICTS)} "
            "(hoaks, benar and menyesatkan are understood too)"
        )
    date = None
    if values.get("date"):
        try:
            date = dt.date.fromisoformat(values["date"])
        except ValueError:
            raise ValueError(f"date {values['date']!r} is not YYYY-MM-DD") from None
    url = values.get("url", "")
    if url and not url.startswith(("http://", "https://")):
        raise ValueError(f"url {url[:80]!r} must start with http:// or https://")
    return Claim(
        text=values.get("text", ""),
        verdict=verdict,
        source=values.get("source") or default_source,
        date=date,
        url=url,
        ref=values.get("ref", "")[:100],
        title=values.get("title", "")[:300],
    )


def _cp1252_lenient(data: bytes) -> str:
    """Windows-1252, except its five undefined bytes, which go through latin-1."""
    out = []
    for chunk in re.split(rb"([\x81\x8d\x8f\x90\x9d])", data):
        if len(chunk) == 1 and chunk in (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d"):
            out.append(chunk.decode("latin-1"))
        else:
            out.append(chunk.decode("cp1252"))
    return "".join(out)


def read_pratiwi(path: Path) -> ReadResult:
    """Read ``600_news_with_valid_hoax_label.csv`` (or its directory) as claims.

    Each news text becomes a claim with verdict ``hoax`` or ``valid``; the
    ``ref`` is ``pratiwi:<row number>`` so re-importing updates in place.
    """
    path = Path(path)
    if path.is_dir():
        candidates = sorted(path.glob("*hoax*label*.csv")) or sorted(path.glob("*.csv"))
        if not candidates:
            raise ClaimFileError(f"{path}: no CSV file of the Pratiwi hoax data set here")
        path = candidates[-1]
    text = _cp1252_lenient(path.read_bytes())
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";")
    header = [h.strip().casefold() for h in next(reader, [])]
    if header[:2] != ["berita", "tagging"]:
        raise ClaimFileError(
            f"{path}: line 1: expected the header 'berita;tagging', found {';'.join(header)!r}"
        )
    out = ReadResult()
    n = 0
    while True:
        line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        if not row or not any(c.strip() for c in row):
            out.skipped += 1
            continue
        n += 1
        if len(row) != 2:
            out.errors.append(RowError(line, f"{len(row)} fields, expected 2"))
            continue
        verdict = normalize_verdict(row[1])
        if verdict is None:
            out.errors.append(RowError(line, f"label {row[1]!r} is not Hoax or Valid"))
            continue
        try:
            out.claims.append(
                Claim(
                    text=row[0].strip(),
                    verdict=verdict,
                    source=PRATIWI_SOURCE,
                    ref=f"pratiwi:{n}",
                )
            )
        except ValueError as exc:
            out.errors.append(RowError(line, str(exc)))
    return out


def verdict_counts(claims: Iterable[Claim]) -> dict[str, int]:
    counts = dict.fromkeys(VERDICTS, 0)
    for c in claims:
        counts[c.verdict] += 1
    return counts

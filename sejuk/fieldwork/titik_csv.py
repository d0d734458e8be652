"""CSV import and export of titik rawan (template: docs/templates/titik_rawan.csv).

Import is all-or-nothing: every row is validated (fields, scope, that the point
lies in its kelurahan) and if any row is bad, every problem is reported with
its row number and nothing is written. Rows with an ``id`` update that titik;
rows without create one. Re-importing an export changes nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass

from django.db import transaction

from sejuk.accounts.models import User
from sejuk.fieldwork import actions
from sejuk.fieldwork.access import may_write_in, visible_titik
from sejuk.fieldwork.models import TitikCategory, TitikRawan, Vulnerability
from sejuk.lib.csvfile import CsvFileError, read_rows
from sejuk.lib.ids import parse_id

COLUMNS = [
    "id",
    "name",
    "category",
    "kelurahan",
    "lat",
    "lon",
    "street",
    "rt",
    "rw",
    "vulnerability",
    "vulnerability_reason",
    "active_from",
    "active_until",
    "notes",
]
REQUIRED = {"name", "category", "kelurahan", "lat", "lon"}
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000


class TitikCsvError(ValueError):
    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("\n".join(errors))


@dataclass
class TitikImportResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def safe_cell(value) -> str:
    """Neutralise spreadsheet formulas (CSV injection) in free-text cells."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _unprotect(text: str) -> str:
    """Undo safe_cell() when our own export is imported again."""
    return text[1:] if text[:1] == "'" and text[1:2] in ("=", "+", "-", "@") else text


def export_csv(rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for t in rows:
        writer.writerow(
            [
                t.pk,
                safe_cell(t.name),
                t.category,
                t.kelurahan_id,
                f"{t.lat:.7f}",
                f"{t.lon:.7f}",
                safe_cell(t.street),
                t.rt,
                t.rw,
                t.vulnerability,
                safe_cell(t.vulnerability_reason),
                t.active_from.isoformat() if t.active_from else "",
                t.active_until.isoformat() if t.active_until else "",
                safe_cell(t.notes),
            ]
        )
    return out.getvalue()


def _parse(raw: bytes) -> list[dict[str, str]]:
    try:
        header, rows = read_rows(raw, max_bytes=MAX_BYTES, max_rows=MAX_ROWS)
    except CsvFileError as exc:
        raise TitikCsvError([f"line {exc.line}: {exc}" if exc.line else str(exc)]) from None
    missing = REQUIRED - set(header)
    if missing:
        raise TitikCsvError([f"header lacks {sorted(missing)}; see docs/templates/titik_rawan.csv"])
    return [{k: _unprotect(v) for k, v in row.items()} for _line, row in rows]


def _date(value: str, name: str, where: str, errors: list[str]) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        errors.append(f"{where}: {name} {value!r} is not a date like 2024-11-27")
        return None


def import_csv(user: User, raw: bytes) -> TitikImportResult:
    rows = _parse(raw)
    errors: list[str] = []
    prepared: list[tuple[TitikRawan, bool]] = []
    ids = {parse_id(r.get("id")) for r in rows} - {None}
    existing = {t.pk: t for t in visible_titik(user).filter(pk__in=ids)}
    for i, row in enumerate(rows, start=2):
        where = f"row {i}"
        titik = TitikRawan()
        if row.get("id"):
            if (pk := parse_id(row["id"])) not in existing:
                errors.append(f"{where}: id {row['id']!r} is not a titik rawan in your territory")
                continue
            titik = existing[pk]
        before = {
            c: getattr(titik, c if c != "kelurahan" else "kelurahan_id", None)
            for c in COLUMNS
            if c != "id"
        }
        bad_choice = False
        if row["category"] not in TitikCategory.values:
            errors.append(
                f"{where}: category {row['category']!r}; use one of {', '.join(TitikCategory.values)}"
            )
            bad_choice = True
        vuln = row.get("vulnerability") or Vulnerability.SEDANG
        if vuln not in Vulnerability.values:
            errors.append(f"{where}: vulnerability {vuln!r}; use rendah, sedang or tinggi")
            bad_choice = True
        try:
            lat, lon = float(row["lat"]), float(row["lon"])
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise ValueError
        except ValueError:
            errors.append(
                f"{where}: lat/lon {row['lat']!r}, {row['lon']!r} are not valid coordinates"
            )
            continue
        if not may_write_in(user, row["kelurahan"]):
            errors.append(f"{where}: kelurahan {row['kelurahan']!r} is not in your territory")
            continue
        titik.name = row["name"]
        titik.category = row["category"]
        titik.kelurahan_id = row["kelurahan"]
        titik.lat, titik.lon = round(lat, 7), round(lon, 7)
        titik.street = row.get("street", "")
        titik.rt = row.get("rt", "")
        titik.rw = row.get("rw", "")
        titik.vulnerability = vuln
        titik.vulnerability_reason = row.get("vulnerability_reason", "")
        titik.active_from = _date(row.get("active_from", ""), "active_from", where, errors)
        titik.active_until = _date(row.get("active_until", ""), "active_until", where, errors)
        titik.notes = row.get("notes", "")
        try:
            titik.full_clean(
                exclude=["created_by", *(["category", "vulnerability"] if bad_choice else [])]
            )
        except Exception as exc:  # ValidationError: report every field
            for field, msgs in getattr(exc, "message_dict", {"row": [str(exc)]}).items():
                errors.append(f"{where}: {field}: {' '.join(msgs)}")
            continue
        if problem := actions.check_point_in_kelurahan(titik.kelurahan_id, titik.lat, titik.lon):
            errors.append(f"{where}: {problem}")
            continue
        after = {
            c: getattr(titik, c if c != "kelurahan" else "kelurahan_id", None)
            for c in COLUMNS
            if c != "id"
        }
        prepared.append((titik, titik.pk is None or before != after))
    if errors:
        raise TitikCsvError(errors)
    result = TitikImportResult(rows=len(rows))
    with transaction.atomic():
        for titik, changed in prepared:
            if titik.pk is None:
                titik.created_by = user
                titik.save()
                result.created += 1
            elif changed:
                titik.save()
                result.updated += 1
            else:
                result.unchanged += 1
    return result

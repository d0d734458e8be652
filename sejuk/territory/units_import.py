"""CSV import of police units and officers (templates in docs/templates/).

The file's header says which template it is. Every row is checked first; if
any row is bad, the errors for all bad rows are reported and nothing is
imported. Rows are matched on ``code`` (units) or ``nrp`` (officers), so
running the same file twice changes nothing.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from sejuk.territory.actions import do_upsert_officer, do_upsert_unit
from sejuk.territory.models import (
    KODE_RE,
    RANKS,
    Level,
    PoliceUnit,
    UnitKind,
    Wilayah,
)

UNIT_COLUMNS = ["kind", "code", "name", "parent_code", "wilayah", "address", "phone", "lat", "lon"]
UNIT_REQUIRED = {"kind", "code", "name", "parent_code", "wilayah"}
OFFICER_COLUMNS = ["nrp", "name", "rank", "position", "unit_code", "kelurahan", "phone"]
OFFICER_REQUIRED = {"nrp", "name", "rank", "unit_code", "kelurahan"}
_PARENT_KIND = {"polda": None, "polres": "polda", "polsek": "polres"}
MAX_BYTES = 20 * 1024 * 1024


class CsvImportError(ValueError):
    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("\n".join(errors))


@dataclass
class CsvImportResult:
    template: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rows: int = 0
    notes: list[str] = field(default_factory=list)


def _codes(cell: str) -> list[str]:
    return [c.strip() for c in cell.replace(",", ";").split(";") if c.strip()]


def _read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    if not path.is_file():
        raise CsvImportError([f"{path}: file not found"])
    raw = path.read_bytes()
    if len(raw) > MAX_BYTES:
        raise CsvImportError([f"{path}: larger than {MAX_BYTES // 1024 // 1024} MB"])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise CsvImportError(
            [f"{path}:{line}: not UTF-8 text; save the file as CSV UTF-8"]
        ) from None
    try:
        reader = csv.DictReader(io.StringIO(text), strict=True)
        header = [h.strip().lower() for h in (reader.fieldnames or [])]
        reader.fieldnames = header
        rows = []
        for row in reader:
            if None in row:
                raise CsvImportError([f"{path}:{reader.line_num}: more cells than header columns"])
            rows.append({k: (v or "").strip() for k, v in row.items()})
    except csv.Error as exc:
        raise CsvImportError([f"{path}: not valid CSV: {exc}"]) from None
    if not header:
        raise CsvImportError([f"{path}: empty file (expected a header row)"])
    return header, rows


def import_csv(path: Path) -> CsvImportResult:
    header, rows = _read(path)
    cols = set(header)
    if cols >= UNIT_REQUIRED:
        return _import_units(path, rows)
    if cols >= OFFICER_REQUIRED:
        return _import_officers(path, rows)
    raise CsvImportError(
        [
            f"{path}: header {header} matches no template. Units need {sorted(UNIT_REQUIRED)}; "
            f"officers need {sorted(OFFICER_REQUIRED)} (see docs/templates/)."
        ]
    )


def _float(
    value: str, name: str, lo: float, hi: float, errors: list[str], where: str
) -> float | None:
    if not value:
        return None
    try:
        f = float(value)
    except ValueError:
        errors.append(f"{where}: {name} {value!r} is not a number")
        return None
    if not lo <= f <= hi:
        errors.append(f"{where}: {name} {f} is outside [{lo}, {hi}]")
        return None
    return f


def _import_units(path: Path, rows: list[dict[str, str]]) -> CsvImportResult:
    errors: list[str] = []
    existing = {u.code: u for u in PoliceUnit.objects.all()}
    in_file: dict[str, tuple[str, int]] = {}
    wilayah_needed: set[str] = set()
    for i, row in enumerate(rows, start=2):
        where = f"{path.name} row {i}"
        code, kind = row.get("code", ""), row.get("kind", "").lower()
        if not code or not code.replace("-", "").isalnum() or code != code.lower():
            errors.append(f"{where}: code {code!r} must be lower-case letters, digits and '-'")
        elif code in in_file:
            errors.append(f"{where}: code {code!r} repeats row {in_file[code][1]}")
        else:
            in_file[code] = (kind, i)
        if kind not in _PARENT_KIND:
            errors.append(f"{where}: kind {kind!r} must be polda, polres or polsek")
        if not row.get("name"):
            errors.append(f"{where}: name is empty")
        for kode in _codes(row.get("wilayah", "")):
            if not KODE_RE.match(kode):
                errors.append(f"{where}: wilayah {kode!r} is not a Kemendagri code")
            wilayah_needed.add(kode)
        if not _codes(row.get("wilayah", "")):
            errors.append(f"{where}: wilayah is empty (the unit must cover at least one area)")
        _float(row.get("lat", ""), "lat", -90, 90, errors, where)
        _float(row.get("lon", ""), "lon", -180, 180, errors, where)
    known_wilayah = set(
        Wilayah.objects.filter(kode__in=wilayah_needed).values_list("kode", flat=True)
    )
    for i, row in enumerate(rows, start=2):
        where = f"{path.name} row {i}"
        kind = row.get("kind", "").lower()
        for kode in _codes(row.get("wilayah", "")):
            if KODE_RE.match(kode) and kode not in known_wilayah:
                errors.append(
                    f"{where}: wilayah {kode} is not in the territory (import wilayah first)"
                )
        parent = row.get("parent_code", "")
        want = _PARENT_KIND.get(kind)
        if kind in _PARENT_KIND:
            if want is None and parent:
                errors.append(f"{where}: a polda has no parent_code")
            elif want is not None:
                parent_kind = in_file.get(parent, (None,))[0] or (
                    existing[parent].kind if parent in existing else None
                )
                if not parent:
                    errors.append(f"{where}: a {kind} needs parent_code (a {want})")
                elif parent_kind is None:
                    errors.append(
                        f"{where}: parent_code {parent!r} is neither in the file nor in the database"
                    )
                elif parent_kind != want:
                    errors.append(
                        f"{where}: parent_code {parent!r} is a {parent_kind}, expected a {want}"
                    )
    if errors:
        raise CsvImportError(errors)

    result = CsvImportResult(template="units", rows=len(rows))
    order = {"polda": 0, "polres": 1, "polsek": 2}
    with transaction.atomic():
        for row in sorted(rows, key=lambda r: order[r["kind"].lower()]):
            code = row["code"]
            values = {
                "kind": row["kind"].lower(),
                "name": row["name"],
                "parent": PoliceUnit.objects.get(code=row["parent_code"])
                if row.get("parent_code")
                else None,
                "address": row.get("address", ""),
                "phone": row.get("phone", ""),
                "lat": float(row["lat"]) if row.get("lat") else None,
                "lon": float(row["lon"]) if row.get("lon") else None,
            }
            _unit, outcome = do_upsert_unit(code, values, _codes(row["wilayah"]))
            setattr(result, outcome, getattr(result, outcome) + 1)
    return result


def _import_officers(path: Path, rows: list[dict[str, str]]) -> CsvImportResult:
    errors: list[str] = []
    units = {u.code: u for u in PoliceUnit.objects.all()}
    seen: dict[str, int] = {}
    needed: set[str] = set()
    for i, row in enumerate(rows, start=2):
        where = f"{path.name} row {i}"
        nrp = row.get("nrp", "")
        if not nrp.isdigit() or not 8 <= len(nrp) <= 18:
            errors.append(f"{where}: nrp {nrp!r} must be 8 to 18 digits")
        elif nrp in seen:
            errors.append(f"{where}: nrp {nrp} repeats row {seen[nrp]}")
        else:
            seen[nrp] = i
        if not row.get("name"):
            errors.append(f"{where}: name is empty")
        if row.get("rank") not in RANKS:
            errors.append(
                f"{where}: rank {row.get('rank')!r} is not a Polri rank (e.g. Aiptu, Bripka, Kompol)"
            )
        if row.get("unit_code") not in units:
            errors.append(f"{where}: unit_code {row.get('unit_code')!r} is not a known unit")
        for kode in _codes(row.get("kelurahan", "")):
            if not KODE_RE.match(kode) or kode.count(".") != 3:
                errors.append(
                    f"{where}: kelurahan {kode!r} is not a kelurahan code like 31.71.08.1003"
                )
            needed.add(kode)
    known = set(
        Wilayah.objects.filter(kode__in=needed, level=Level.KELURAHAN).values_list(
            "kode", flat=True
        )
    )
    for i, row in enumerate(rows, start=2):
        unit = units.get(row.get("unit_code", ""))
        for kode in _codes(row.get("kelurahan", "")):
            if KODE_RE.match(kode) and kode.count(".") == 3 and kode not in known:
                errors.append(f"{path.name} row {i}: kelurahan {kode} is not in the territory")
            elif (
                unit is not None
                and kode in known
                and not unit.kelurahan().filter(kode=kode).exists()
            ):
                errors.append(
                    f"{path.name} row {i}: kelurahan {kode} is outside {unit.name}'s area"
                )
    if errors:
        raise CsvImportError(errors)

    result = CsvImportResult(template="officers", rows=len(rows))
    with transaction.atomic():
        for row in rows:
            values = {
                "name": row["name"],
                "rank": row["rank"],
                "position": row.get("position", ""),
                "unit": units[row["unit_code"]],
                "phone": row.get("phone", ""),
            }
            _officer, outcome = do_upsert_officer(
                row["nrp"], values, _codes(row.get("kelurahan", ""))
            )
            setattr(result, outcome, getattr(result, outcome) + 1)
    return result


__all__ = [
    "CsvImportError",
    "CsvImportResult",
    "import_csv",
    "UNIT_COLUMNS",
    "OFFICER_COLUMNS",
    "UnitKind",
]

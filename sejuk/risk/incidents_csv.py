"""CSV import of incidents (template: docs/templates/risk_incidents.csv).

All or nothing: every row is checked (time, kind, severity, kelurahan or
point, that the point lies in the kelurahan, scope when acting as a user) and
if any row is bad every problem is reported as ``file:line: ...`` and nothing
is written. Rows are keyed by ``(source, ref)``: re-importing a file updates
its incidents and never doubles them. A row without ``ref`` gets one from a
hash of its content, so re-importing it is harmless too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from sejuk.accounts import audit
from sejuk.accounts.access import has_role, scope_for
from sejuk.accounts.models import AuditAction, User
from sejuk.lib.csvfile import CsvFileError, read_rows
from sejuk.risk import access
from sejuk.risk.models import DAY_MIN, Incident, IncidentKind, IncidentSource
from sejuk.territory.models import KODE_RE, Level, Wilayah

COLUMNS = [
    "ref",
    "occurred_at",
    "kelurahan",
    "kind",
    "severity",
    "lat",
    "lon",
    "source",
    "description",
]
REQUIRED = {"occurred_at", "kind"}
MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 100_000
MAX_REPORTED = 50
SEVERITY_NAMES = {
    "1": 1,
    "2": 2,
    "3": 3,
    "minor": 1,
    "ringan": 1,
    "moderate": 2,
    "sedang": 2,
    "serious": 3,
    "berat": 3,
}
UPDATABLE = ("occurred_at", "kelurahan_id", "kind", "severity", "lat", "lon", "description")


class IncidentCsvError(ValueError):
    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("\n".join(errors))


@dataclass
class IncidentImportResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def _rows(raw: bytes, name: str) -> list[tuple[int, dict[str, str]]]:
    try:
        header, rows = read_rows(raw, max_bytes=MAX_BYTES, max_rows=MAX_ROWS)
    except CsvFileError as exc:
        where = f"{name}:{exc.line}" if exc.line else name
        raise IncidentCsvError([f"{where}: {exc}"]) from None
    missing = REQUIRED - set(header)
    if missing:
        raise IncidentCsvError(
            [
                f"{name}:1: header lacks {', '.join(sorted(missing))} "
                f"(columns: {', '.join(COLUMNS)}; see docs/templates/risk_incidents.csv)"
            ]
        )
    if "kelurahan" not in header and not {"lat", "lon"} <= set(header):
        raise IncidentCsvError([f"{name}:1: header needs kelurahan, or lat and lon"])
    return [(line, row) for line, row in rows if any(row.values())]


def _time(value: str) -> dt.datetime:
    """ISO date or date-time; without an offset it is Asia/Jakarta local time."""
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def import_incidents(
    raw: bytes, *, name: str = "incidents.csv", user: User | None = None, dry_run: bool = False
) -> IncidentImportResult:
    """Validate every row, then write all of them in one transaction (or none)."""
    from sejuk.fieldwork.actions import check_point_in_kelurahan
    from sejuk.territory.locate import kelurahan_index

    rows = _rows(raw, name)
    errors: list[str] = []
    scope = scope_for(user) if user is not None else None
    if user is not None and not has_role(user, *access.INCIDENT_WRITERS):
        raise IncidentCsvError([f"{name}: user {user.username} may not record incidents"])
    codes = {r["kelurahan"] for _l, r in rows if r.get("kelurahan")}
    known = set(
        Wilayah.objects.filter(kode__in=codes, level=Level.KELURAHAN).values_list("kode", flat=True)
    )
    prepared: list[dict] = []
    now = timezone.now()
    for line, row in rows:
        where = f"{name}:{line}"
        problems = []
        try:
            occurred = _time(row["occurred_at"])
            if occurred > now + dt.timedelta(minutes=5):
                problems.append(f"occurred_at {row['occurred_at']!r} is in the future")
            elif occurred.date() < DAY_MIN:
                problems.append(f"occurred_at {row['occurred_at']!r} is before {DAY_MIN}")
        except ValueError:
            problems.append(
                f"occurred_at {row['occurred_at']!r} is not a date-time like 2024-11-27 14:30"
            )
            occurred = None
        kind = row["kind"].lower()
        if kind not in IncidentKind.values:
            problems.append(f"kind {row['kind']!r}; use one of {', '.join(IncidentKind.values)}")
        severity = SEVERITY_NAMES.get((row.get("severity") or "1").lower())
        if severity is None:
            problems.append(
                f"severity {row['severity']!r}; use 1, 2 or 3 (minor, moderate, serious)"
            )
        source = (row.get("source") or IncidentSource.IMPORT).lower()
        if source not in IncidentSource.values:
            problems.append(
                f"source {row['source']!r}; use one of {', '.join(IncidentSource.values)}"
            )
        lat = lon = None
        if row.get("lat") or row.get("lon"):
            try:
                lat, lon = float(row.get("lat", "")), float(row.get("lon", ""))
                if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                    raise ValueError
            except ValueError:
                problems.append(
                    f"lat/lon {row.get('lat')!r}, {row.get('lon')!r} are not coordinates"
                )
                lat = lon = None
        kode = row.get("kelurahan", "")
        if kode and (not KODE_RE.match(kode) or kode not in known):
            problems.append(f"kelurahan {kode!r} is not a kelurahan/desa kode like 31.71.08.1003")
            kode = ""
        elif not kode and lat is not None:
            kode = kelurahan_index().locate(lat, lon) or ""
            if not kode:
                problems.append(
                    "the point is in no kelurahan with a stored boundary; add kelurahan"
                )
        elif not kode and not problems:
            problems.append("give kelurahan, or lat and lon")
        if kode and scope is not None and not scope.covers(kode):
            problems.append(f"kelurahan {kode} is not in the territory of {user.username}")
        if (
            kode
            and lat is not None
            and not problems
            and (problem := check_point_in_kelurahan(kode, lat, lon))
        ):
            problems.append(problem)
        if problems:
            errors += [f"{where}: {p}" for p in problems]
            continue
        ref = row.get("ref", "")[:100]
        if not ref:
            blob = "|".join(
                [occurred.isoformat(), kode, kind, str(lat), str(lon), row.get("description", "")]
            )
            ref = "sha1:" + hashlib.sha1(blob.encode()).hexdigest()[:24]  # noqa: S324 - a key, not security
        prepared.append(
            {
                "ref": ref,
                "source": source,
                "occurred_at": occurred,
                "kelurahan_id": kode,
                "kind": kind,
                "severity": severity,
                "lat": lat,
                "lon": lon,
                "description": row.get("description", "")[:20_000],
            }
        )
    if errors:
        shown = errors[:MAX_REPORTED]
        if len(errors) > MAX_REPORTED:
            shown.append(f"... and {len(errors) - MAX_REPORTED} more")
        raise IncidentCsvError(shown)
    keys = [(p["source"], p["ref"]) for p in prepared]
    if len(set(keys)) != len(keys):
        seen: set = set()
        dupes = [f"{s}/{r}" for s, r in keys if (s, r) in seen or seen.add((s, r))]
        raise IncidentCsvError([f"{name}: ref repeated in the file: {', '.join(dupes[:10])}"])
    result = IncidentImportResult(rows=len(rows))
    existing = {
        (i.source, i.ref): i for i in Incident.objects.filter(ref__in=[p["ref"] for p in prepared])
    }
    new: list[Incident] = []
    changed: list[Incident] = []
    for p in prepared:
        current = existing.get((p["source"], p["ref"]))
        if current is None:
            new.append(Incident(created_by=user, **p))
            continue
        if all(getattr(current, f) == p[f] for f in UPDATABLE):
            result.unchanged += 1
            continue
        for f in UPDATABLE:
            setattr(current, f, p[f])
        changed.append(current)
    result.created = len(new)
    result.updated = len(changed)
    if dry_run or not (new or changed):
        return result
    with transaction.atomic():
        Incident.objects.bulk_create(new, batch_size=500)
        Incident.objects.bulk_update(changed, list(UPDATABLE), batch_size=500)
        # Bulk writes bypass the per-row audit signals: one summary entry.
        audit.log(
            AuditAction.IMPORT,
            object_type="risk.incident",
            object_repr=f"{Path(name).name}: {result.created} created, {result.updated} updated"[
                :300
            ],
            changes=result.as_dict(),
        )
    return result

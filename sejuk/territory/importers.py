"""Import territory files into the database: idempotent and all-or-nothing."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from sejuk.accounts import audit
from sejuk.accounts.models import AuditAction
from sejuk.analytics.geo import GeometryError, find_neighbours, geometry_stats, path_to_geojson
from sejuk.territory import sources
from sejuk.territory.models import ImportRun, Level, Wilayah
from sejuk.territory.sources import SourceError

Progress = Callable[[str], None]


@dataclass
class TerritoryImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    boundaries_set: int = 0
    boundaries_unchanged: int = 0
    neighbour_links_added: int = 0
    neighbour_links_removed: int = 0
    seconds: float = 0.0
    messages: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(
            self.created
            or self.updated
            or self.boundaries_set
            or self.neighbour_links_added
            or self.neighbour_links_removed
        )

    def as_dict(self) -> dict:
        d = asdict(self)
        d["changed"] = self.changed
        return d


def _sha256_files(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for p in paths:
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def _apply_codes(rows: list[sources.CodeRow], result: TerritoryImportResult) -> None:
    existing = {
        kode: (nama, level, parent)
        for kode, nama, level, parent in Wilayah.objects.values_list(
            "kode", "nama", "level", "parent_id"
        )
    }
    to_create: list[Wilayah] = []
    to_update: list[Wilayah] = []
    for row in rows:
        cur = existing.get(row.kode)
        if cur is None:
            to_create.append(
                Wilayah(kode=row.kode, nama=row.nama, level=row.level, parent_id=row.parent)
            )
        elif cur != (row.nama, row.level, row.parent):
            to_update.append(
                Wilayah(kode=row.kode, nama=row.nama, level=row.level, parent_id=row.parent)
            )
        else:
            result.unchanged += 1
    # Rows are sorted parents-first, so foreign keys hold at every batch.
    Wilayah.objects.bulk_create(to_create, batch_size=2000)
    if to_update:
        Wilayah.objects.bulk_update(to_update, ["nama", "level", "parent"], batch_size=2000)
    result.created += len(to_create)
    result.updated += len(to_update)


def _apply_boundaries(rows: list[sources.BoundaryRow], result: TerritoryImportResult) -> None:
    known = set(
        Wilayah.objects.filter(kode__in=[r.kode for r in rows]).values_list("kode", flat=True)
    )
    prepared: dict[str, tuple[dict, object]] = {}
    for r in rows:
        if r.kode not in known:
            raise SourceError(
                r.source, r.line, f"boundary for kode {r.kode}, which is not in the codes"
            )
        try:
            geom = path_to_geojson(r.path_json)
            stats = geometry_stats(geom)
        except GeometryError as exc:
            raise SourceError(r.source, r.line, f"kode {r.kode}: {exc}") from None
        prepared[r.kode] = (geom, stats)
    current = dict(Wilayah.objects.filter(kode__in=list(prepared)).values_list("kode", "geometry"))
    changed: list[Wilayah] = []
    for kode, (geom, s) in prepared.items():
        if current.get(kode) == geom:
            result.boundaries_unchanged += 1
            continue
        changed.append(
            Wilayah(
                kode=kode,
                geometry=geom,
                centroid_lat=s.centroid_lat,
                centroid_lon=s.centroid_lon,
                min_lat=s.min_lat,
                min_lon=s.min_lon,
                max_lat=s.max_lat,
                max_lon=s.max_lon,
                area_km2=s.area_km2,
            )
        )
    if changed:
        Wilayah.objects.bulk_update(
            changed,
            [
                "geometry",
                "centroid_lat",
                "centroid_lon",
                "min_lat",
                "min_lon",
                "max_lat",
                "max_lon",
                "area_km2",
            ],
            batch_size=200,
        )
    result.boundaries_set += len(changed)


def _apply_neighbours(result: TerritoryImportResult) -> None:
    Through = Wilayah.neighbours.through
    for level in (Level.KABKOTA, Level.KECAMATAN, Level.KELURAHAN):
        geoms = dict(
            Wilayah.objects.filter(level=level, geometry__isnull=False).values_list(
                "kode", "geometry"
            )
        )
        if not geoms:
            continue
        wanted = {(a, b) for a, ns in find_neighbours(geoms).items() for b in ns if a != b}
        have = set(
            Through.objects.filter(from_wilayah__level=level).values_list(
                "from_wilayah_id", "to_wilayah_id"
            )
        )
        add = wanted - have
        remove = have - wanted
        if remove:
            for a, b in remove:
                Through.objects.filter(from_wilayah_id=a, to_wilayah_id=b).delete()
        Through.objects.bulk_create(
            [Through(from_wilayah_id=a, to_wilayah_id=b) for a, b in sorted(add)], batch_size=2000
        )
        result.neighbour_links_added += len(add)
        result.neighbour_links_removed += len(remove)


def import_territory(
    codes: Path | None = None,
    boundaries: Path | None = None,
    *,
    progress: Progress | None = None,
) -> TerritoryImportResult:
    """Import codes and/or boundaries. Everything is read and validated first,
    then written in one transaction: on any error nothing changes."""
    if codes is None and boundaries is None:
        raise ValueError("give a codes file, a boundaries directory or both")
    say = progress or (lambda _msg: None)
    started = timezone.now()
    t0 = time.perf_counter()
    result = TerritoryImportResult()

    code_rows = None
    if codes is not None:
        if not codes.is_file():
            raise SourceError(codes, None, "codes file not found")
        say(f"reading {codes}")
        code_rows = sources.read_codes(codes)
    boundary_rows = None
    boundary_paths: list[Path] = []
    if boundaries is not None:
        if not boundaries.is_dir():
            raise SourceError(boundaries, None, "boundaries directory not found")
        say(f"reading boundaries in {boundaries}")
        boundary_paths = sources.boundary_files(boundaries)
        boundary_rows = sources.read_boundaries(boundaries)

    with transaction.atomic():
        if code_rows is not None:
            say(f"writing {len(code_rows)} codes")
            _apply_codes(code_rows, result)
        if boundary_rows is not None:
            say(f"writing {len(boundary_rows)} boundaries")
            _apply_boundaries(boundary_rows, result)
            say("computing neighbours")
            _apply_neighbours(result)
        result.seconds = round(time.perf_counter() - t0, 3)
        sources_used = [p for p in [codes] if p] + boundary_paths
        ImportRun.objects.create(
            kind="territory",
            source=", ".join(
                str(p) for p in ([codes] if codes else []) + ([boundaries] if boundaries else [])
            )[:500],
            source_sha256=_sha256_files(sources_used),
            started_at=started,
            finished_at=timezone.now(),
            created=result.created,
            updated=result.updated,
            unchanged=result.unchanged,
        )
        if result.changed:
            audit.log(
                AuditAction.IMPORT,
                object_type="territory.wilayah",
                object_repr="territory import",
                changes=result.as_dict(),
            )
    from sejuk.territory.locate import reset_cache

    transaction.on_commit(reset_cache)
    return result

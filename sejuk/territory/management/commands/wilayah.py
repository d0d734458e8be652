"""sejuk wilayah import|show"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from sejuk.accounts import audit
from sejuk.territory.importers import import_territory
from sejuk.territory.models import KODE_RE, Wilayah
from sejuk.territory.sources import SourceError


def default_paths() -> tuple[Path | None, Path | None]:
    base = settings.SEJUK_DATA_DIR
    if base is None:
        return None, None
    return base / "wilayah" / "wilayah.sql", base / "wilayah" / "boundaries"


class Command(BaseCommand):
    help = "Territory (Kemendagri wilayah): import the public files, show one wilayah."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        imp = sub.add_parser(
            "import", help="Import codes and boundaries (idempotent, all-or-nothing)."
        )
        imp.add_argument(
            "--codes", type=Path, help="wilayah.sql (default: $SEJUK_DATA_DIR/wilayah/wilayah.sql)"
        )
        imp.add_argument(
            "--boundaries",
            type=Path,
            help="boundaries directory (default: $SEJUK_DATA_DIR/wilayah/boundaries)",
        )
        imp.add_argument("--json", action="store_true", help="print the result as JSON")
        show = sub.add_parser("show", help="Print one wilayah as JSON.")
        show.add_argument("kode")

    def handle(self, *args, **opts):
        if opts["verb"] == "import":
            return self._import(opts)
        return self._show(opts["kode"])

    def _import(self, opts):
        codes, boundaries = opts.get("codes"), opts.get("boundaries")
        if codes is None and boundaries is None:
            codes, boundaries = default_paths()
            if codes is None:
                raise CommandError("no --codes/--boundaries given and SEJUK_DATA_DIR is not set")
        with audit.acting_as(audit.Actor(source="cli:wilayah import")):
            try:
                result = import_territory(
                    codes, boundaries, progress=lambda m: print(m, file=sys.stderr)
                )
            except SourceError as exc:
                raise CommandError(f"import failed, nothing was changed: {exc}") from None
        if opts.get("json"):
            self.stdout.write(json.dumps(result.as_dict()))
        else:
            self.stdout.write(
                f"codes: {result.created} created, {result.updated} updated, {result.unchanged} unchanged; "
                f"boundaries: {result.boundaries_set} set, {result.boundaries_unchanged} unchanged; "
                f"neighbour links: +{result.neighbour_links_added} -{result.neighbour_links_removed}; "
                f"{result.seconds:.1f} s"
            )

    def _show(self, kode: str):
        if not KODE_RE.match(kode):
            raise CommandError(f"{kode!r} is not a Kemendagri code like 31.71.08.1003")
        try:
            w = Wilayah.objects.light().get(kode=kode)
        except Wilayah.DoesNotExist:
            raise CommandError(f"no wilayah {kode}; run `sejuk wilayah import` first?") from None
        out = {
            "kode": w.kode,
            "nama": w.nama,
            "level": w.get_level_display(),
            "parents": [{"kode": p.kode, "nama": p.nama} for p in w.ancestors()],
            "area_km2": round(w.area_km2, 4) if w.area_km2 is not None else None,
            "neighbours": sorted(w.neighbours.values_list("kode", flat=True)),
        }
        self.stdout.write(json.dumps(out, ensure_ascii=False))

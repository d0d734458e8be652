"""sejuk units import CSV"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from sejuk.accounts import audit
from sejuk.territory.units_import import CsvImportError, import_csv


class Command(BaseCommand):
    help = "Police units and officers: import a CSV made from docs/templates/units.csv or officers.csv."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        imp = sub.add_parser("import", help="Import units or officers (all rows or none).")
        imp.add_argument("csv", type=Path)

    def handle(self, *args, **opts):
        with audit.acting_as(audit.Actor(source="cli:units import")):
            try:
                result = import_csv(opts["csv"])
            except CsvImportError as exc:
                lines = "\n".join(f"  {e}" for e in exc.errors)
                raise CommandError(
                    f"{len(exc.errors)} problem(s); nothing was imported:\n{lines}"
                ) from None
        self.stdout.write(
            f"{result.template}: {result.rows} rows, {result.created} created, "
            f"{result.updated} updated, {result.unchanged} unchanged"
        )

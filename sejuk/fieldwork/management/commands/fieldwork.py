"""sejuk fieldwork titik-import|titik-export|load-demo"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from sejuk.accounts import audit
from sejuk.accounts.models import AuditAction, User
from sejuk.fieldwork.access import visible_titik
from sejuk.fieldwork.titik_csv import TitikCsvError, export_csv, import_csv


class Command(BaseCommand):
    help = "Field work: import/export titik rawan CSV (docs/templates/titik_rawan.csv)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        imp = sub.add_parser("titik-import", help="Import titik rawan (all rows or none).")
        imp.add_argument("csv", type=Path)
        imp.add_argument(
            "--as", dest="username", required=True, help="act as this user (scope and audit)"
        )
        exp = sub.add_parser("titik-export", help="Export titik rawan as CSV to stdout.")
        exp.add_argument("--as", dest="username", required=True)
        exp.add_argument("--kelurahan", help="only this kelurahan kode")

    def _user(self, username: str) -> User:
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"no active user {username!r}")
        return user

    def handle(self, *args, **opts):
        user = self._user(opts["username"])
        actor = audit.actor_for_user(user, source=f"cli:fieldwork {opts['verb']}")
        with audit.acting_as(actor):
            if opts["verb"] == "titik-import":
                path: Path = opts["csv"]
                if not path.is_file():
                    raise CommandError(f"{path}: file not found")
                try:
                    result = import_csv(user, path.read_bytes())
                except TitikCsvError as exc:
                    lines = "\n".join(f"  {e}" for e in exc.errors)
                    raise CommandError(
                        f"{len(exc.errors)} problem(s); nothing was imported:\n{lines}"
                    ) from None
                self.stdout.write(
                    f"titik rawan: {result.rows} rows, {result.created} created, "
                    f"{result.updated} updated, {result.unchanged} unchanged"
                )
                return
            qs = visible_titik(user).order_by("kelurahan_id", "name")
            if opts.get("kelurahan"):
                qs = qs.filter(kelurahan_id=opts["kelurahan"])
            rows = list(qs)
            self.stdout.write(export_csv(rows), ending="")
            audit.log(
                AuditAction.EXPORT,
                object_type="fieldwork.titikrawan",
                object_repr=f"{len(rows)} titik rawan (CLI)",
            )

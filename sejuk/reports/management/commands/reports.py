"""sejuk reports intake|escalate|archive"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from sejuk.accounts import audit
from sejuk.reports.actions import archive_closed, process_intake, run_escalations


class Command(BaseCommand):
    help = (
        "Citizen reports: finish intake (merge duplicates, notify), run the SLA escalation "
        "check or archive closed reports now."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        sub.add_parser(
            "intake",
            help="Merge duplicates and notify units for new reports (the worker does this "
            "every 2 s; idempotent).",
        )
        sub.add_parser("escalate", help="Alert Kapolsek/Kapolres about missed SLAs (idempotent).")
        sub.add_parser(
            "archive", help="Move closed reports past the reopen window out of the queues."
        )

    def handle(self, *args, **opts):
        with audit.acting_as(audit.Actor(source=f"cli:reports {opts['verb']}")):
            if opts["verb"] == "intake":
                self.stdout.write(f"{process_intake()} report(s) processed")
            elif opts["verb"] == "escalate":
                self.stdout.write(f"{run_escalations()} alert(s) sent")
            else:
                self.stdout.write(f"{archive_closed()} report(s) archived")

"""Background jobs for reports, run by the database-backed worker."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tasks import task

TICK_SECONDS = 60


@task()
def escalation_tick(reschedule: bool = True) -> int:
    """Escalate missed SLAs, archive old closed reports, then run again in a minute.

    The chain survives worker restarts because the next run is a row in the
    task table; duplicated chains are harmless because escalation is idempotent
    (see actions.run_escalations)."""
    from sejuk.reports.actions import archive_closed, run_escalations

    sent = run_escalations()
    archive_closed()
    if reschedule:
        ensure_scheduled(delay=TICK_SECONDS)
    return sent


def ensure_scheduled(delay: int = 0) -> bool:
    """Enqueue the next tick unless one is already waiting."""
    from django_tasks_db.models import DBTaskResult

    path = escalation_tick.module_path
    waiting = DBTaskResult.objects.filter(task_path=path, status="READY").exists()
    if waiting:
        return False
    escalation_tick.using(run_after=timezone.now() + dt.timedelta(seconds=delay)).enqueue()
    return True

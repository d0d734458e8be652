"""Background jobs for reports, run by the database-backed worker."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tasks import task

TICK_SECONDS = 60
INTAKE_TICK_SECONDS = 2
# Finished task rows kept this long (the intake chain adds one every 2 s).
KEEP_FINISHED_TASKS = dt.timedelta(days=2)


@task()
def escalation_tick(reschedule: bool = True) -> int:
    """Escalate missed SLAs, archive old closed reports, retry failed outbound
    messages, prune old rows, then run again in a minute.

    The chain survives worker restarts because the next run is a row in the
    task table; duplicated chains are harmless because escalation is idempotent
    (see actions.run_escalations)."""
    from django.conf import settings

    from sejuk.reports import senders
    from sejuk.reports.actions import archive_closed, run_escalations

    sent = run_escalations()
    archive_closed()
    senders.retry_due()
    senders.prune_sent(settings.SEJUK_OUTBOUND_KEEP_DAYS)
    prune_finished_tasks()
    if reschedule:
        ensure_scheduled(delay=TICK_SECONDS)
    return sent


@task()
def intake_tick(reschedule: bool = True) -> int:
    """Finish intake of new reports (duplicates, notifications), then again in 2 s.

    Same chain pattern as escalation_tick; process_intake is idempotent and
    claims its rows, so a duplicated chain only costs an empty query."""
    from sejuk.reports.actions import process_intake

    done = process_intake()
    if reschedule:
        _schedule(intake_tick, INTAKE_TICK_SECONDS)
    return done


def prune_finished_tasks() -> int:
    from django_tasks_db.models import DBTaskResult

    cutoff = timezone.now() - KEEP_FINISHED_TASKS
    deleted, _ = DBTaskResult.objects.filter(
        status__in=("SUCCESSFUL", "FAILED"), finished_at__lt=cutoff
    ).delete()
    return deleted


def _schedule(t, delay: int) -> bool:
    from django_tasks_db.models import DBTaskResult

    if DBTaskResult.objects.filter(task_path=t.module_path, status="READY").exists():
        return False
    t.using(run_after=timezone.now() + dt.timedelta(seconds=delay)).enqueue()
    return True


def ensure_scheduled(delay: int = 0) -> bool:
    """Enqueue the next escalation tick (and start the intake chain) unless waiting."""
    _schedule(intake_tick, 0)
    return _schedule(escalation_tick, delay)

"""Background jobs for monitoring, run by the database-backed worker.

``detection_tick`` looks for spikes, then schedules itself again in
``TICK_SECONDS``; ingestion also asks for a run right after new posts are
committed (``request_detection``), so an alert does not wait for the next tick.
Detection is idempotent (see actions.run_detection), so an extra run is harmless.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tasks import task

TICK_SECONDS = 15 * 60


@task()
def detection_tick(reschedule: bool = True) -> int:
    from sejuk.accounts import audit
    from sejuk.monitoring.actions import run_detection

    with audit.acting_as(audit.Actor(source="worker:monitoring")):
        raised = run_detection()
    if reschedule:
        ensure_scheduled(delay=TICK_SECONDS)
    return len(raised)


@task()
def detect_now() -> int:
    from sejuk.accounts import audit
    from sejuk.monitoring.actions import run_detection

    with audit.acting_as(audit.Actor(source="worker:monitoring")):
        return len(run_detection())


def _waiting(path: str) -> bool:
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(task_path=path, status="READY").exists()


def ensure_scheduled(delay: int = 0) -> bool:
    """Enqueue the next periodic tick unless one is already waiting."""
    if _waiting(detection_tick.module_path):
        return False
    detection_tick.using(run_after=timezone.now() + dt.timedelta(seconds=delay)).enqueue()
    return True


def request_detection() -> None:
    """After an ingest: one immediate run (unless one is waiting), and make
    sure the periodic chain exists. Never fails the ingest."""
    try:
        if not _waiting(detect_now.module_path):
            detect_now.enqueue()
        ensure_scheduled(delay=TICK_SECONDS)
    except Exception:  # noqa: BLE001 - the task table may be unavailable (e.g. other backends)
        import logging

        logging.getLogger(__name__).warning("could not enqueue spike detection", exc_info=True)

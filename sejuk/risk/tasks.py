"""The background job: recompute the index, raise alerts, forecast (docs/risk.md)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django_tasks import task

# Minutes between runs; each run recomputes today (so new reports, incidents
# and visits show within the hour) and, once after midnight, finishes yesterday.
DEFAULT_TICK_MINUTES = 60


def tick_seconds() -> int:
    return max(60, int(getattr(settings, "SEJUK_RISK_TICK_MINUTES", DEFAULT_TICK_MINUTES)) * 60)


def run_once(now: dt.datetime | None = None) -> list[dict]:
    """One run: yesterday again if it was last computed before it ended, then today."""
    from sejuk.accounts import audit
    from sejuk.risk.actions import compute_index, resolve_scope
    from sejuk.risk.models import ComputeRun

    now = now or timezone.now()
    today = timezone.localdate(now)
    yesterday = today - dt.timedelta(days=1)
    prefixes = resolve_scope(getattr(settings, "SEJUK_RISK_SCOPE", None) or None)
    out = []
    with audit.acting_as(audit.SYSTEM):
        last = (
            ComputeRun.objects.filter(date=yesterday, source="worker")
            .values_list("finished_at", flat=True)
            .first()
        )
        start_of_today = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
        if last is None or last < start_of_today:
            # Finalise yesterday: its last hours (and a late report) count now.
            out.append(compute_index(yesterday, prefixes, source="worker").as_dict())
        out.append(compute_index(today, prefixes, source="worker").as_dict())
    return out


@task()
def risk_tick(reschedule: bool = True) -> list[dict]:
    """Recompute the index, then run again in ``SEJUK_RISK_TICK_MINUTES``.

    Same chain as the report ticks: the next run is a row in the task table,
    so it survives restarts; a duplicated chain only repeats idempotent work
    (rows are upserted, alerts are keyed)."""
    try:
        return run_once()
    finally:
        if reschedule:
            ensure_scheduled(delay=tick_seconds())


def ensure_scheduled(delay: int = 0) -> bool:
    """Enqueue the next risk run unless one is already waiting."""
    from django_tasks_db.models import DBTaskResult

    if DBTaskResult.objects.filter(task_path=risk_tick.module_path, status="READY").exists():
        return False
    risk_tick.using(run_after=timezone.now() + dt.timedelta(seconds=delay)).enqueue()
    return True

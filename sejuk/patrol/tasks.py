"""Background jobs for patrol plans, run by the database-backed worker.

* ``evening_plans`` plans tomorrow for every officer who has no plan for it yet, then
  schedules itself for the next evening (``EVENING`` local time). The chain lives in
  the task table, so it survives worker restarts; a duplicated chain is harmless
  because a run only fills in missing plans.
* ``generate_plans`` plans one day for given officers on demand (the Kapolsek's
  "Generate plans" button), re-planning existing plans with their directives.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tasks import task

# When the evening job runs (Asia/Jakarta): after the day's field logs are in, early
# enough for officers to see tomorrow's route before the night.
EVENING = dt.time(18, 0)


@task()
def evening_plans(reschedule: bool = True) -> int:
    """Plan tomorrow for every plannable officer without a plan, then again tomorrow."""
    from sejuk.accounts import audit
    from sejuk.patrol.actions import do_generate_plans, tomorrow
    from sejuk.patrol.models import PlanSource

    with audit.acting_as(audit.SYSTEM):
        result = do_generate_plans(tomorrow(), source=PlanSource.EVENING, only_missing=True)
    if reschedule:
        ensure_scheduled()
    return len(result.plans)


@task()
def generate_plans(day: str, officer_ids: list[int], user_id: int | None = None) -> int:
    """Plan ``day`` (ISO date) for these officers, as ``user_id`` asked."""
    from sejuk.accounts import audit
    from sejuk.accounts.models import User
    from sejuk.patrol.actions import do_generate_plans, plannable_officers
    from sejuk.patrol.models import PlanSource

    user = User.objects.filter(pk=user_id).first() if user_id else None
    actor = audit.actor_for_user(user, source="worker") if user else audit.SYSTEM
    officers = plannable_officers().filter(pk__in=officer_ids)
    with audit.acting_as(actor):
        result = do_generate_plans(
            dt.date.fromisoformat(day), officers, user=user, source=PlanSource.ON_DEMAND
        )
    return len(result.plans)


def next_evening(now: dt.datetime | None = None) -> dt.datetime:
    """The next ``EVENING`` in local time strictly after ``now``."""
    local = timezone.localtime(now or timezone.now())
    at = local.replace(hour=EVENING.hour, minute=EVENING.minute, second=0, microsecond=0)
    if at <= local:
        at += dt.timedelta(days=1)
    return at


def ensure_scheduled(now: dt.datetime | None = None) -> bool:
    """Enqueue the next evening run unless one is already waiting."""
    from django_tasks_db.models import DBTaskResult

    if DBTaskResult.objects.filter(task_path=evening_plans.module_path, status="READY").exists():
        return False
    evening_plans.using(run_after=next_evening(now)).enqueue()
    return True

from django.db.models import F
from django.utils import timezone
from django_tasks import task

from sejuk.core.models import WorkerHeartbeat


@task()
def heartbeat(name: str = "worker") -> int:
    """Record that the worker ran a task; the admin home shows it."""
    now = timezone.now()
    updated = WorkerHeartbeat.objects.filter(name=name).update(seen_at=now, runs=F("runs") + 1)
    if not updated:
        WorkerHeartbeat.objects.create(name=name, seen_at=now, runs=1)
    return WorkerHeartbeat.objects.get(name=name).runs

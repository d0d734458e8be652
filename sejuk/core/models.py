from django.db import models


class WorkerHeartbeat(models.Model):
    """Written by the background worker so pages can show that it is alive."""

    name = models.CharField(max_length=50, unique=True)
    seen_at = models.DateTimeField()
    runs = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name} seen {self.seen_at:%Y-%m-%d %H:%M:%S}"

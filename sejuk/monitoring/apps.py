"""Social-media and rumour monitoring: posts, narratives, fact-checks, alerts."""

from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "sejuk.monitoring"
    label = "monitoring"

    def ready(self) -> None:
        from sejuk.accounts import audit
        from sejuk.monitoring.models import Alert, FactCheck, MonitoringSettings

        # Posts are written in bulk by ingestion, which logs one summary entry per run.
        audit.register(FactCheck)
        audit.register(MonitoringSettings)
        audit.register(Alert, exclude=("brief",))

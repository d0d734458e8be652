"""Early warning: indicators, vulnerability index per kelurahan per day, forecasts, alerts."""

from django.apps import AppConfig


class RiskConfig(AppConfig):
    name = "sejuk.risk"
    label = "risk"

    def ready(self) -> None:
        from sejuk.accounts import audit
        from sejuk.risk.models import Assessment, Incident, RiskAlert

        # Daily rows, rollups and hotspots are written in bulk by the computation,
        # which logs one summary entry per run (actions.compute_index).
        audit.register(Assessment)
        audit.register(Incident)
        audit.register(RiskAlert, exclude=("detail",))

"""Social-media and rumour monitoring: posts, narratives, fact-checks, alerts."""

from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "sejuk.monitoring"
    label = "monitoring"

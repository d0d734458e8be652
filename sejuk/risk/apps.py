"""Early warning: indicators, vulnerability index per kelurahan per day, forecasts, alerts."""

from django.apps import AppConfig


class RiskConfig(AppConfig):
    name = "sejuk.risk"
    label = "risk"

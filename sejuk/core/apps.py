from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "sejuk.core"
    label = "core"

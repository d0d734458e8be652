from django.apps import AppConfig


class ElectionsConfig(AppConfig):
    name = "sejuk.elections"
    label = "elections"

    def ready(self) -> None:
        from sejuk.accounts import audit
        from sejuk.elections.models import Election

        audit.register(Election)

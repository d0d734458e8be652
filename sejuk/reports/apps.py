from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "sejuk.reports"
    label = "reports"

    def ready(self) -> None:
        from sejuk.accounts import audit
        from sejuk.reports.models import Report, SlaPolicy, StreetAlias

        audit.register(
            Report,
            exclude=("reporter_name_enc", "reporter_contact_enc", "updated_at", "intake_meta"),
        )
        audit.register(SlaPolicy)
        audit.register(StreetAlias)

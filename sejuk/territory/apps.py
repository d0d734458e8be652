from django.apps import AppConfig


class TerritoryConfig(AppConfig):
    name = "sejuk.territory"
    label = "territory"

    def ready(self) -> None:
        from sejuk.accounts import audit
        from sejuk.territory.models import Officer, PoliceUnit, Wilayah

        # Wilayah rows change through the importer, which logs one summary
        # entry per run; edits through the admin are logged row by row.
        audit.register(Wilayah, exclude=("geometry", "neighbours"))
        audit.register(PoliceUnit)
        audit.register(Officer)

from django.apps import AppConfig


class FieldworkConfig(AppConfig):
    name = "sejuk.fieldwork"
    label = "fieldwork"

    def ready(self) -> None:
        from sejuk.accounts import audit
        from sejuk.fieldwork import models as m

        for model in (m.TitikRawan, m.Contact, m.Activity, m.FieldComplaint, m.ActivityPhoto):
            audit.register(model)

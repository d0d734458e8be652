from django.apps import AppConfig


class PatrolConfig(AppConfig):
    name = "sejuk.patrol"
    label = "patrol"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from sejuk.accounts import audit
        from sejuk.fieldwork.models import Visit
        from sejuk.patrol import models as m

        for model in (m.ScheduledEvent, m.PatrolPlan, m.PlanStop, m.OfficerPatrolSettings):
            audit.register(model)
        post_save.connect(_visit_logged, sender=Visit, dispatch_uid="sejuk-patrol-link-visit")


def _visit_logged(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    # A visit logged through any channel (the phone's outbox, the desktop form, the
    # API) fulfils the matching stop of that officer's plan for the day.
    if created and not raw:
        from sejuk.patrol.actions import link_visit

        link_visit(instance)

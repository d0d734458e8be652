"""Demo patrol data: one scheduled event tomorrow in Galur and the plans of the
Polsek Johar Baru officers for today and tomorrow. Idempotent: the event is found
by name and day, and officers who already have a plan for a day keep it."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from sejuk.accounts import audit
from sejuk.fieldwork.models import TitikRawan
from sejuk.patrol.actions import do_generate_plans, plannable_officers
from sejuk.patrol.models import EventKind, PlanSource, ScheduledEvent

GALUR = "31.71.08.1003"
POLSEK = "polsek-johar-baru"
EVENT_NAME = "Kampanye terbuka di Lapangan RW 02"


def load_demo_patrol(today: dt.date | None = None) -> dict[str, int]:
    today = today or timezone.localdate()
    tomorrow = today + dt.timedelta(days=1)
    with transaction.atomic():
        lapangan = TitikRawan.objects.filter(kelurahan_id=GALUR, name="Lapangan RW 02").first()
        if lapangan is not None:
            ScheduledEvent.objects.update_or_create(
                name=EVENT_NAME,
                day=tomorrow,
                defaults={
                    "kind": EventKind.CAMPAIGN,
                    "kelurahan_id": GALUR,
                    "titik": lapangan,
                    "starts_at": dt.time(14, 0),
                    "ends_at": dt.time(16, 0),
                    "presence_minutes": 45,
                    "must_attend": True,
                    "notes": "Kampanye terbuka paslon; pendukung paslon lain bermukim di sekitar.",
                    "is_demo": True,
                },
            )
    officers = plannable_officers().filter(unit__code=POLSEK)
    plans = 0
    with audit.acting_as(audit.SYSTEM):
        for day in (today, tomorrow):
            result = do_generate_plans(
                day,
                officers,
                source=PlanSource.EVENING,
                only_missing=True,
                # A demo day shows a whole route whatever the hour it is loaded at.
                from_now=False,
            )
            plans += len(result.plans)
    return {"plans": plans}

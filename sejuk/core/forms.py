"""Form helpers shared by the field-work and report pages."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from sejuk.accounts.access import visible_wilayah
from sejuk.accounts.models import User
from sejuk.territory.models import Level

# Above this many options a drop-down becomes a text box for the code or id.
CHOICE_LIMIT = 300


def start_of_day(day: dt.date) -> dt.datetime:
    """Midnight at the start of ``day`` in the current time zone (Asia/Jakarta)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def kelurahan_choices(user: User) -> list[tuple[str, str]] | None:
    """(kode, name) of the kelurahan in the user's scope, or None when there are too many."""
    rows = list(
        visible_wilayah(user)
        .filter(level=Level.KELURAHAN)
        .order_by("nama", "kode")
        .values_list("kode", "nama")[: CHOICE_LIMIT + 1]
    )
    return None if len(rows) > CHOICE_LIMIT else rows

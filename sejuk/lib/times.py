"""Times as received from phones and forms."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def as_utc(value: dt.datetime | None) -> dt.datetime | None:
    """``value`` in UTC; a time without a zone offset is read as Jakarta time
    (the default time zone), which is what a phone without one means."""
    if value is None:
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.get_default_timezone())
    return value.astimezone(dt.UTC)

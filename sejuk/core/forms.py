"""Form helpers shared by the field-work and report pages."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.validators import RegexValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sejuk.accounts.access import visible_wilayah
from sejuk.accounts.models import User
from sejuk.territory.models import KODE_RE, Level

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


kode_validator = RegexValidator(KODE_RE, _("Enter a kode wilayah such as 31.71.08.1003."))


def kelurahan_filter_field(user: User) -> forms.Field:
    """An optional kelurahan filter: a drop-down of the user's kelurahan, or a
    code box when the territory is too large to list."""
    choices = kelurahan_choices(user)
    if choices is None:
        return forms.CharField(
            label=_("Kelurahan"),
            required=False,
            validators=[kode_validator],
            widget=forms.TextInput(attrs={"placeholder": "31.71.08.1003"}),
        )
    return forms.ChoiceField(
        label=_("Kelurahan"), required=False, choices=[("", _("all kelurahan")), *choices]
    )

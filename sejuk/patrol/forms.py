"""Forms of the patrol pages: the day and coverage filters (GET), events and
re-plan options (POST). Choices come from the user's scope."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sejuk.accounts.models import User
from sejuk.core.forms import kelurahan_filter_field
from sejuk.fieldwork.access import visible_titik
from sejuk.fieldwork.forms import FilterForm, _kelurahan_model_field
from sejuk.patrol.coverage import FIRST_DAY, LAST_DAY, MAX_REVISIT_DAYS
from sejuk.patrol.models import ScheduledEvent, TravelMode

MAX_COVERAGE_DAYS = 31


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _time_input() -> forms.TimeInput:
    return forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class DayForm(FilterForm):
    """?day=YYYY-MM-DD (default today) and an optional kelurahan."""

    day = forms.DateField(label=_("Day"), required=False, widget=_date_input())

    def __init__(self, data, *, user: User):
        self.base_fields = {**self.base_fields, "kelurahan": kelurahan_filter_field(user)}
        super().__init__(data, user=user)

    @property
    def day_value(self) -> dt.date:
        return self.value("day") or timezone.localdate()


class CoverageForm(FilterForm):
    """A period (start and number of days; default the last 7 days) and a kelurahan."""

    start = forms.DateField(
        label=_("From"),
        required=False,
        widget=_date_input(),
        validators=[MinValueValidator(FIRST_DAY), MaxValueValidator(LAST_DAY)],
    )
    days = forms.IntegerField(
        label=_("Days"),
        required=False,
        min_value=1,
        max_value=MAX_COVERAGE_DAYS,
        widget=forms.NumberInput(attrs={"size": 3}),
    )
    revisit = forms.IntegerField(
        label=_("Visit every (days)"),
        required=False,
        min_value=1,
        max_value=MAX_REVISIT_DAYS,
        widget=forms.NumberInput(attrs={"size": 3}),
    )

    def __init__(self, data, *, user: User):
        self.base_fields = {**self.base_fields, "kelurahan": kelurahan_filter_field(user)}
        super().__init__(data, user=user)

    @property
    def n_days(self) -> int:
        return self.value("days") or 7

    @property
    def start_day(self) -> dt.date:
        return self.value("start") or timezone.localdate() - dt.timedelta(days=self.n_days - 1)

    @property
    def revisit_days(self) -> int:
        return self.value("revisit") or 7


class GenerateForm(forms.Form):
    day = forms.DateField(label=_("Day"), widget=_date_input())


class ReplanForm(forms.Form):
    shift_start = forms.TimeField(label=_("Shift starts"), required=False, widget=_time_input())
    shift_end = forms.TimeField(label=_("Shift ends"), required=False, widget=_time_input())
    mode = forms.ChoiceField(label=_("Travel"), required=False, choices=TravelMode.choices)

    def clean(self):
        data = super().clean()
        start, end = data.get("shift_start"), data.get("shift_end")
        if start and end and end <= start:
            self.add_error("shift_end", _("The shift ends before it starts."))
        return data


class EventForm(forms.ModelForm):
    class Meta:
        model = ScheduledEvent
        fields = [
            "name",
            "kind",
            "kelurahan",
            "titik",
            "place",
            "lat",
            "lon",
            "day",
            "starts_at",
            "ends_at",
            "importance",
            "must_attend",
            "presence_minutes",
            "notes",
        ]
        labels = {"lat": _("Latitude"), "lon": _("Longitude")}
        widgets = {
            "day": _date_input(),
            "starts_at": _time_input(),
            "ends_at": _time_input(),
            "lat": forms.NumberInput(attrs={"step": "any"}),
            "lon": forms.NumberInput(attrs={"step": "any"}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kelurahan"] = _kelurahan_model_field(user)
        today = timezone.localdate()
        titik = visible_titik(user).select_related("kelurahan").order_by("kelurahan__nama", "name")
        self.fields["titik"].queryset = titik
        self.fields["titik"].label_from_instance = lambda t: f"{t.name} ({t.kelurahan.nama})"
        self.fields["titik"].required = False
        if not self.instance.pk and not self.initial.get("day"):
            self.initial["day"] = today + dt.timedelta(days=1)

    def clean(self):
        data = super().clean()
        titik, kel = data.get("titik"), data.get("kelurahan")
        if titik is not None and kel is not None and titik.kelurahan_id != kel.kode:
            self.add_error("titik", _("This titik rawan is in another kelurahan."))
        return data

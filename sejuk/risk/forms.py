"""Forms of the risk pages."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sejuk.accounts.models import User
from sejuk.analytics.riskindex import IndexSpec
from sejuk.core.forms import kelurahan_choices, kode_validator
from sejuk.risk.indicators import label
from sejuk.risk.models import (
    DAY_MAX,
    DAY_MIN,
    AlertKind,
    AlertStatus,
    IncidentKind,
    IncidentSource,
    RiskLevel,
    Severity,
)

DAY_VALIDATORS = [MinValueValidator(DAY_MIN), MaxValueValidator(DAY_MAX)]


class DayForm(forms.Form):
    """Which day and which part of the territory the map shows."""

    date = forms.DateField(
        label=_("Date"),
        required=False,
        validators=DAY_VALIDATORS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    area = forms.CharField(
        label=_("Area (kode)"),
        required=False,
        max_length=13,
        validators=[kode_validator],
        widget=forms.TextInput(attrs={"placeholder": "31.71.08"}),
    )
    level = forms.ChoiceField(
        label=_("Level"), required=False, choices=[("", _("all levels")), *RiskLevel.choices]
    )

    def value(self, name: str):
        if not self.is_bound or not self.is_valid():
            return None
        return self.cleaned_data.get(name) or None


class AssessmentForm(forms.Form):
    """One question per indicator of the definition in use, plus the period."""

    period_start = forms.DateField(
        label=_("Period start"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    period_end = forms.DateField(
        label=_("Period end"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, spec: IndexSpec, initial_answers: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.spec = spec
        answers = [(str(v), label(a)) for v, a in enumerate(spec.answers)]
        self.dimension_fields: list[tuple[str, list[str]]] = []
        for d in spec.dimensions:
            names = []
            for ind in d.indicators:
                name = f"a_{ind.code}"
                self.fields[name] = forms.TypedChoiceField(
                    label=label(ind.label),
                    choices=answers,
                    coerce=int,
                    widget=forms.RadioSelect,
                    help_text=label(ind.help) if ind.help else "",
                    initial=str((initial_answers or {}).get(ind.code, "")),
                )
                names.append(name)
            self.dimension_fields.append((label(d.label), names))

    def clean(self):
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", _("The period ends before it starts."))
        return data

    def answers(self) -> dict[str, int]:
        return {
            ind.code: self.cleaned_data[f"a_{ind.code}"]
            for ind in self.spec.indicators
            if f"a_{ind.code}" in self.cleaned_data
        }

    def groups(self):
        """(dimension label, bound fields) for the template."""
        return [(title, [self[n] for n in names]) for title, names in self.dimension_fields]


class IncidentForm(forms.Form):
    occurred_at = forms.DateTimeField(
        label=_("When"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=IncidentKind.choices)
    severity = forms.TypedChoiceField(
        label=_("Severity"), choices=Severity.choices, coerce=int, initial=Severity.MINOR
    )
    source = forms.ChoiceField(
        label=_("Source"),
        choices=[c for c in IncidentSource.choices if c[0] != IncidentSource.IMPORT],
        initial=IncidentSource.FIELD_LOG,
    )
    lat = forms.FloatField(label=_("Latitude"), required=False, min_value=-90, max_value=90)
    lon = forms.FloatField(label=_("Longitude"), required=False, min_value=-180, max_value=180)
    report_ticket = forms.CharField(
        label=_("Citizen report ticket"),
        required=False,
        max_length=12,
        help_text=_("When the incident comes from a verified report."),
    )
    description = forms.CharField(
        label=_("What happened"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        choices = kelurahan_choices(user)
        if choices is None:
            field: forms.Field = forms.CharField(
                label=_("Kelurahan"),
                required=False,
                validators=[kode_validator],
                help_text=_("Leave empty to take it from the location."),
            )
        else:
            field = forms.ChoiceField(
                label=_("Kelurahan"),
                required=False,
                choices=[("", _("from the location")), *choices],
            )
        self.fields = {"kelurahan": field, **self.fields}
        if not self.is_bound:
            self.initial.setdefault(
                "occurred_at", timezone.localtime().replace(second=0, microsecond=0)
            )

    def clean(self):
        data = super().clean()
        if (data.get("lat") is None) != (data.get("lon") is None):
            self.add_error("lon", _("Give both latitude and longitude, or neither."))
        if not data.get("kelurahan") and data.get("lat") is None:
            self.add_error("kelurahan", _("Choose a kelurahan or give the location."))
        return data


class AlertFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("all")), *AlertStatus.choices],
        initial=AlertStatus.OPEN,
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("all")), *AlertKind.choices]
    )


class AlertUpdateForm(forms.Form):
    status = forms.ChoiceField(choices=AlertStatus.choices)
    note = forms.CharField(required=False, max_length=5000)


class IncidentFilterForm(forms.Form):
    kelurahan = forms.CharField(
        label=_("Kelurahan"), required=False, validators=[kode_validator], max_length=13
    )
    since = forms.DateField(
        label=_("From"),
        required=False,
        validators=DAY_VALIDATORS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    until = forms.DateField(
        label=_("Until"),
        required=False,
        validators=DAY_VALIDATORS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


def default_period(today: dt.date, elections) -> tuple[dt.date, dt.date]:
    """The election period around ``today`` when there is one, else the calendar month."""
    for e in elections:
        if e.campaign_start <= today <= e.recap_end:
            return e.campaign_start, e.recap_end
    start = today.replace(day=1)
    end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    return start, end

"""Forms of the monitoring pages."""

from __future__ import annotations

import json

from django import forms
from django.utils.translation import gettext_lazy as _

from sejuk.analytics.claims import Claim
from sejuk.monitoring.models import AlertStatus, FactCheck, MonitoringSettings, Verdict

PERIODS = [("1", _("last 24 hours")), ("3", _("last 3 days")), ("7", _("last 7 days")),
           ("30", _("last 30 days"))]  # fmt: skip
KINDS = [("", _("all posts")), ("flagged", _("provocative or SARA")),
         ("provocative", _("provocative")), ("sara", _("SARA"))]  # fmt: skip
# The largest BigAutoField id: a larger one in a filter overflows the database.
MAX_ID = 2**63 - 1


class NarrativeFilterForm(forms.Form):
    days = forms.ChoiceField(label=_("Period"), choices=PERIODS, required=False, initial="7")
    kind = forms.ChoiceField(label=_("Posts"), choices=KINDS, required=False)
    q = forms.CharField(label=_("Keywords"), required=False, max_length=100)


class MapFilterForm(forms.Form):
    days = forms.ChoiceField(label=_("Period"), choices=PERIODS, required=False, initial="7")
    kind = forms.ChoiceField(label=_("Posts"), choices=KINDS, required=False, initial="flagged")


class PostFilterForm(forms.Form):
    q = forms.CharField(label=_("Text contains"), required=False, max_length=200)
    kind = forms.ChoiceField(label=_("Posts"), choices=KINDS, required=False)
    platform = forms.CharField(label=_("Platform"), required=False, max_length=30)
    author = forms.CharField(label=_("Author"), required=False, max_length=150)
    area = forms.ChoiceField(label=_("Kelurahan"), required=False)
    narrative = forms.IntegerField(
        label=_("Narrative"), required=False, min_value=1, max_value=MAX_ID
    )
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    copies = forms.BooleanField(label=_("Show copies"), required=False)

    def __init__(self, *args, areas=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = [("", _("all")), *areas]


class AlertHandleForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=AlertStatus.choices)
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class FactCheckForm(forms.ModelForm):
    url = forms.URLField(label=_("URL"), required=False, max_length=500, assume_scheme="https")

    class Meta:
        model = FactCheck
        fields = ["title", "text", "verdict", "source", "url", "checked_on", "active"]
        widgets = {
            "text": forms.Textarea(attrs={"rows": 6}),
            "checked_on": forms.DateInput(attrs={"type": "date"}),
        }

    def clean_text(self) -> str:
        text = (self.cleaned_data.get("text") or "").strip()
        if len(text) < 10:
            raise forms.ValidationError(_("Write the claim in at least 10 characters."))
        if len(text) > 20_000:
            raise forms.ValidationError(_("At most 20,000 characters."))
        return text

    def clean(self) -> dict:
        """A new claim gets the ref (and, untitled, the summary) an imported
        one would; two claims of one source may not share a ref."""
        data = super().clean()
        if self.errors:
            return data
        claim = Claim(text=data["text"], verdict=data["verdict"])
        ref = self.instance.ref or claim.ref
        clash = FactCheck.objects.filter(source=data.get("source", ""), ref=ref)
        if clash.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("This source already has this claim in the archive."))
        self.instance.ref = ref
        if not data.get("title"):
            data["title"] = claim.title
        return data


class ClaimImportForm(forms.Form):
    file = forms.FileField(label=_("CSV file"))
    source = forms.CharField(label=_("Source for rows without one"), required=False, max_length=200)


class CheckTextForm(forms.Form):
    text = forms.CharField(
        label=_("Text to check"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    verdict = forms.ChoiceField(
        label=_("Verdict"), choices=[("", _("all")), *Verdict.choices], required=False
    )


class SettingsForm(forms.ModelForm):
    talking_points_json = forms.CharField(
        label=_("Talking points (JSON)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 16, "spellcheck": "false"}),
        help_text=_(
            "Empty: the defaults shipped with Sejuk. Categories: sara, provocation, hoax, general."
        ),
    )

    class Meta:
        model = MonitoringSettings
        fields = [
            "spike_window_hours", "spike_baseline_days", "spike_min_count", "spike_ratio",
            "spike_alpha", "spike_min_expected", "provocation_threshold", "sara_threshold",
            "narrative_threshold", "narrative_window_hours", "claim_min_score",
        ]  # fmt: skip

    RANGES = {
        "spike_window_hours": (1, 168),
        "spike_baseline_days": (1, 90),
        "spike_min_count": (1, 10_000),
        "spike_ratio": (1.0, 100.0),
        "spike_alpha": (1e-9, 0.2),
        "spike_min_expected": (0.01, 1000.0),
        "provocation_threshold": (0.05, 0.99),
        "sara_threshold": (0.05, 0.99),
        "narrative_threshold": (0.05, 0.95),
        "narrative_window_hours": (1, 24 * 30),
        "claim_min_score": (0.0, 0.99),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        tp = self.instance.talking_points
        if tp and not self.is_bound:
            self.initial["talking_points_json"] = json.dumps(tp, ensure_ascii=False, indent=2)

    def clean(self):
        data = super().clean()
        for name, (low, high) in self.RANGES.items():
            value = data.get(name)
            if value is not None and not low <= value <= high:
                self.add_error(name, _("between %(low)s and %(high)s") % {"low": low, "high": high})
        raw = (data.get("talking_points_json") or "").strip()
        if raw:
            from sejuk.monitoring.actions import MonitoringError, validate_talking_points

            try:
                data["talking_points"] = validate_talking_points(json.loads(raw))
            except ValueError as exc:
                self.add_error(
                    "talking_points_json", _("not valid JSON: %(error)s") % {"error": exc}
                )
            except MonitoringError as exc:
                self.add_error("talking_points_json", str(exc))
        else:
            data["talking_points"] = None
        return data

    def save(self, commit: bool = True):
        self.instance.talking_points = self.cleaned_data.get("talking_points")
        return super().save(commit)

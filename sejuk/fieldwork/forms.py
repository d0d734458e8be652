"""Forms of the desktop field-work pages: filters (GET) and edits (POST).

Filter forms are bound to ``request.GET`` and own the query they stand for
(``apply(qs)``); a bad value in one field is ignored, the others still apply.
Choices come from the user's scope, so a form never offers what the user may
not see. When a scope is too large for a drop-down (an admin sees 83,000
kelurahan) the field becomes a text box for the code or id.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.validators import RegexValidator
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from sejuk.accounts.access import visible_officers, visible_wilayah
from sejuk.accounts.models import Role, User
from sejuk.core.forms import (
    CHOICE_LIMIT,
    kelurahan_choices,
    kelurahan_filter_field,
    start_of_day,
)
from sejuk.fieldwork import titik_csv
from sejuk.fieldwork.models import (
    COMPLAINT_TRANSITIONS,
    ActivityKind,
    ComplaintStatus,
    Contact,
    ContactRole,
    FieldComplaint,
    TitikCategory,
    TitikRawan,
    Visit,
    Vulnerability,
)
from sejuk.territory.models import Level, Officer

# Above this many options a drop-down is replaced by a text box.

phone_validator = RegexValidator(
    r"^[0-9+ ()-]*$", _("Use digits, spaces and + ( ) - only, e.g. 0812 3456 7890.")
)


def officer_choices(officers: QuerySet[Officer]) -> list[tuple[int, str]] | None:
    rows = list(
        officers.order_by("name", "pk").values_list("pk", "rank", "name")[: CHOICE_LIMIT + 1]
    )
    if len(rows) > CHOICE_LIMIT:
        return None
    return [(pk, f"{rank} {name}") for pk, rank, name in rows]


def _officer_filter_field(officers: QuerySet[Officer], label, extra=()) -> forms.Field:
    choices = officer_choices(officers)
    if choices is None:
        return forms.CharField(
            label=label,
            required=False,
            validators=[RegexValidator(r"^(\d+|mine|all)$", _("Enter an officer id."))],
            widget=forms.TextInput(attrs={"inputmode": "numeric"}),
        )
    return forms.ChoiceField(
        label=label, required=False, choices=[*extra, *[(str(k), v) for k, v in choices]]
    )


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class FilterForm(forms.Form):
    """A GET form whose valid fields filter a queryset; invalid ones are ignored."""

    def __init__(self, data, *, user: User):
        self.user = user
        super().__init__(data)
        self.is_valid()

    def value(self, name: str):
        return self.cleaned_data.get(name) if hasattr(self, "cleaned_data") else None

    def active(self) -> dict[str, str]:
        """The filters in use, as plain strings (for the audit log of exports)."""
        out = {}
        for name in self.fields:
            value = self.value(name)
            if value not in (None, "", False):
                out[name] = value.isoformat() if isinstance(value, dt.date) else str(value)
        return out


# --- titik rawan -------------------------------------------------------------


class TitikFilterForm(FilterForm):
    category = forms.ChoiceField(
        label=_("Category"),
        required=False,
        choices=[("", _("all categories")), *TitikCategory.choices],
    )
    vulnerability = forms.ChoiceField(
        label=_("Vulnerability"),
        required=False,
        choices=[("", _("any vulnerability")), *Vulnerability.choices],
    )

    def __init__(self, data, *, user: User):
        self.base_fields = {"kelurahan": kelurahan_filter_field(user), **self.base_fields}
        super().__init__(data, user=user)

    def apply(self, qs: QuerySet[TitikRawan]) -> QuerySet[TitikRawan]:
        if kel := self.value("kelurahan"):
            qs = qs.filter(kelurahan_id=kel)
        if category := self.value("category"):
            qs = qs.filter(category=category)
        if vulnerability := self.value("vulnerability"):
            qs = qs.filter(vulnerability=vulnerability)
        return qs


class KelurahanField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.nama


class TitikForm(forms.ModelForm):
    class Meta:
        model = TitikRawan
        fields = [
            "name",
            "category",
            "kelurahan",
            "lat",
            "lon",
            "street",
            "rt",
            "rw",
            "vulnerability",
            "vulnerability_reason",
            "active_from",
            "active_until",
            "notes",
        ]
        labels = {"lat": _("Latitude"), "lon": _("Longitude")}
        widgets = {
            "lat": forms.NumberInput(attrs={"step": "any", "data-fw-lat": ""}),
            "lon": forms.NumberInput(attrs={"step": "any", "data-fw-lon": ""}),
            "rt": forms.TextInput(attrs={"inputmode": "numeric", "size": 3}),
            "rw": forms.TextInput(attrs={"inputmode": "numeric", "size": 3}),
            "vulnerability_reason": forms.Textarea(attrs={"rows": 3}),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "active_from": _date_input(),
            "active_until": _date_input(),
        }

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kelurahan"] = _kelurahan_model_field(user)
        self.fields["kelurahan"].widget.attrs["data-fw-kelurahan"] = ""


def _kelurahan_model_field(user: User) -> KelurahanField:
    """The kelurahan of a record: only those in the user's scope are accepted."""
    qs = visible_wilayah(user).filter(level=Level.KELURAHAN).light().order_by("nama", "kode")
    choices = kelurahan_choices(user)
    field = KelurahanField(
        queryset=qs,
        label=_("Kelurahan"),
        empty_label=None if choices and len(choices) == 1 else "—",
    )
    if choices is None:
        field.widget = forms.TextInput(attrs={"placeholder": "31.71.08.1003"})
        field.help_text = _("The kode wilayah of the kelurahan, e.g. 31.71.08.1003.")
    return field


class TitikImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self):
        f = self.cleaned_data["file"]
        if f.size is not None and f.size > titik_csv.MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)d MB; split it.")
                % {"mb": titik_csv.MAX_BYTES // 1024 // 1024}
            )
        return f


# --- activities --------------------------------------------------------------


class ActivityFilterForm(FilterForm):
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("all kinds")), *ActivityKind.choices]
    )
    date_from = forms.DateField(label=_("From"), required=False, widget=_date_input())
    date_to = forms.DateField(label=_("To"), required=False, widget=_date_input())
    follow_up = forms.BooleanField(label=_("Follow-up needed"), required=False)
    flagged = forms.BooleanField(label=_("Flagged check-ins"), required=False)

    def __init__(self, data, *, user: User):
        self.base_fields = {
            "kind": self.base_fields["kind"],
            "kelurahan": kelurahan_filter_field(user),
            "officer": _officer_filter_field(
                visible_officers(user), _("Officer"), [("", _("all officers"))]
            ),
            **{k: v for k, v in self.base_fields.items() if k != "kind"},
        }
        super().__init__(data, user=user)

    def apply(self, qs):
        if kind := self.value("kind"):
            qs = qs.filter(kind=kind)
        if kel := self.value("kelurahan"):
            qs = qs.filter(kelurahan_id=kel)
        if officer := self.value("officer"):
            qs = qs.filter(officers=int(officer))
        if since := self.value("date_from"):
            qs = qs.filter(started_at__gte=start_of_day(since))
        if until := self.value("date_to"):
            qs = qs.filter(started_at__lt=start_of_day(until + dt.timedelta(days=1)))
        if self.value("follow_up"):
            qs = qs.filter(follow_up_needed=True)
        if self.value("flagged"):
            qs = qs.filter(Exists(Visit.objects.filter(activity=OuterRef("pk"), flagged=True)))
        return qs


# --- contacts ----------------------------------------------------------------


class ContactFilterForm(FilterForm):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    category = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("all kinds")), *ContactRole.choices]
    )

    def __init__(self, data, *, user: User):
        self.base_fields = {"kelurahan": kelurahan_filter_field(user), **self.base_fields}
        super().__init__(data, user=user)

    def apply(self, qs):
        if kel := self.value("kelurahan"):
            qs = qs.filter(kelurahan_id=kel)
        if category := self.value("category"):
            qs = qs.filter(category=category)
        if q := (self.value("q") or "").strip():
            qs = qs.filter(Q(name__icontains=q) | Q(role_title__icontains=q))
        return qs


class ContactForm(forms.ModelForm):
    phone = forms.CharField(
        label=_("Phone"), required=False, max_length=30, validators=[phone_validator]
    )

    class Meta:
        model = Contact
        fields = ["name", "category", "role_title", "kelurahan", "phone", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kelurahan"] = _kelurahan_model_field(user)


# --- complaints --------------------------------------------------------------

ACTIVE_STATUSES = (ComplaintStatus.OPEN, ComplaintStatus.IN_PROGRESS)


class ComplaintFilterForm(FilterForm):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("", _("any status")),
            ("active", _("open or in progress")),
            *ComplaintStatus.choices,
        ],
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def __init__(self, data, *, user: User):
        extra = [("all", _("everyone"))]
        if user.officer_id:
            extra.append(("mine", _("mine")))
        self.base_fields = {
            **self.base_fields,
            "owner": _officer_filter_field(visible_officers(user), _("Owner"), extra),
        }
        # A Bhabinkamtibmas starts from the complaints they own.
        if user.role == Role.BHABINKAMTIBMAS and user.officer_id and "owner" not in data:
            data = data.copy()
            data["owner"] = "mine"
        super().__init__(data, user=user)

    def apply(self, qs, today: dt.date):
        status = self.value("status")
        if status == "active":
            qs = qs.filter(status__in=ACTIVE_STATUSES)
        elif status:
            qs = qs.filter(status=status)
        if self.value("overdue"):
            qs = qs.filter(status__in=ACTIVE_STATUSES, due_date__lt=today)
        owner = self.value("owner")
        if owner == "mine":
            qs = qs.filter(owner_id=self.user.officer_id or -1)
        elif owner and owner != "all":
            qs = qs.filter(owner_id=int(owner))
        return qs


class TransitionForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"))
    note = forms.CharField(
        label=_("Note"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    handed_to = forms.CharField(
        label=_("Handed to (agency)"),
        required=False,
        max_length=150,
        widget=forms.TextInput(attrs={"data-fw-show-for": ComplaintStatus.HANDED_OVER}),
    )
    resolution = forms.CharField(
        label=_("How it was resolved"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 3, "data-fw-show-for": ComplaintStatus.RESOLVED}),
    )

    def __init__(self, *args, complaint: FieldComplaint, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = COMPLAINT_TRANSITIONS.get(ComplaintStatus(complaint.status), set())
        self.fields["status"].choices = [
            (value, label) for value, label in ComplaintStatus.choices if value in allowed
        ]
        self.fields["status"].widget.attrs["data-fw-status"] = ""


class ReassignForm(forms.Form):
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=Officer.objects.none())
    due_date = forms.DateField(label=_("Due date"), required=False, widget=_date_input())

    def __init__(self, *args, user: User, complaint: FieldComplaint, **kwargs):
        kwargs.setdefault("initial", {"owner": complaint.owner_id, "due_date": complaint.due_date})
        super().__init__(*args, **kwargs)
        # The officers of the complaint's kelurahan and of the Polsek covering it.
        kecamatan = complaint.kelurahan_id.rsplit(".", 1)[0]
        self.fields["owner"].queryset = (
            visible_officers(user)
            .filter(
                Q(kelurahan=complaint.kelurahan_id)
                | Q(unit__wilayah=kecamatan)
                | Q(pk=complaint.owner_id),
                active=True,
            )
            .distinct()
            .order_by("name")
        )


# --- coverage ----------------------------------------------------------------


class CoverageForm(FilterForm):
    n = forms.IntegerField(
        label=_("Not visited in (days)"),
        required=False,
        min_value=1,
        max_value=365,
        widget=forms.NumberInput(attrs={"size": 4}),
    )
    stale = forms.BooleanField(label=_("Only points not visited"), required=False)

    DEFAULT_N = 7

    def __init__(self, data, *, user: User):
        self.base_fields = {"kelurahan": kelurahan_filter_field(user), **self.base_fields}
        if not data.get("n"):
            data = data.copy()
            data["n"] = str(self.DEFAULT_N)
        super().__init__(data, user=user)

    @property
    def days(self) -> int:
        return self.value("n") or self.DEFAULT_N

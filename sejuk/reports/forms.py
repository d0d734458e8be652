"""Forms of the report pages: the resident's form and status forms (/lapor/),
the 110 operator's quick entry, the workflow action forms and the filters.

Forms check the shape of the input only. The rules about reports (a rejection
needs a reason, closing needs a note, photos are judged by their content, the
coordinates must be in range...) belong to ``sejuk.reports.actions``; the
views put its ``ReportError`` messages back on these forms. Fields that an
action requires carry the HTML ``required`` attribute as a hint for the
browser only.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from sejuk.accounts.access import scope_for, visible_officers, visible_wilayah
from sejuk.accounts.models import Role, User
from sejuk.core.forms import kelurahan_filter_field, kode_validator, start_of_day
from sejuk.reports import actions
from sejuk.reports.models import Agency, Category, Report, Status, Urgency
from sejuk.territory.models import KODE_RE, Level, Officer, PoliceUnit, UnitKind

MAX_PHOTOS = 5
MAX_PHOTO_BYTES = 10 * 1024 * 1024


def _hint_required(widget: forms.Widget) -> forms.Widget:
    widget.attrs["required"] = True
    return widget


# --- photos --------------------------------------------------------------------


class MultipleImageInput(forms.FileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Up to MAX_PHOTOS files; returns a list of raw bytes. The content is judged
    by ``actions.create_report`` (``sejuk.lib.images``), never the name or type."""

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "widget", MultipleImageInput(attrs={"accept": "image/*", "multiple": True})
        )
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data, initial=None) -> list[bytes]:
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if len(files) > MAX_PHOTOS:
            raise forms.ValidationError(_("At most %(n)d photos.") % {"n": MAX_PHOTOS})
        out = []
        for f in files:
            super().clean(f, initial)
            if f.size > MAX_PHOTO_BYTES:
                raise forms.ValidationError(
                    _("Each photo may be at most %(mb)d MB.") % {"mb": MAX_PHOTO_BYTES // 2**20}
                )
            out.append(b"".join(f.chunks()))
        return out


def read_upload(f) -> bytes | None:
    if not f:
        return None
    if f.size > MAX_PHOTO_BYTES:
        raise forms.ValidationError(
            _("Each photo may be at most %(mb)d MB.") % {"mb": MAX_PHOTO_BYTES // 2**20}
        )
    return b"".join(f.chunks())


# --- the resident's pages (/lapor/) ---------------------------------------------


class PublicReportForm(forms.Form):
    category = forms.ChoiceField(
        label=_("What happened?"), choices=Category.choices, widget=forms.RadioSelect
    )
    description = forms.CharField(
        label=_("Tell us more"),
        help_text=_("What, when, who was involved. At least 10 characters."),
        min_length=10,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    lat = forms.FloatField(
        label=_("Latitude"),
        required=False,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal", "data-rp-lat": ""}),
    )
    lon = forms.FloatField(
        label=_("Longitude"),
        required=False,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal", "data-rp-lon": ""}),
    )
    address_text = forms.CharField(
        label=_("Address or landmark"),
        required=False,
        max_length=300,
        widget=forms.TextInput(
            attrs={"placeholder": _("e.g. Jl. Topaz RT 05/02, near the mosque")}
        ),
    )
    photos = PhotosField(label=_("Photos (optional)"))
    anonymous = forms.BooleanField(label=_("Send without my identity"), required=False)
    reporter_name = forms.CharField(
        label=_("Your name"),
        required=False,
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    reporter_contact = forms.CharField(
        label=_("Your phone number"),
        required=False,
        max_length=150,
        widget=forms.TextInput(
            attrs={"autocomplete": "tel", "inputmode": "tel", "placeholder": "0812 3456 7890"}
        ),
    )
    client_key = forms.CharField(max_length=64, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        if not data.get("anonymous"):
            if not (data.get("reporter_name") or "").strip():
                self.add_error(
                    "reporter_name", _("Write your name, or tick “Send without my identity”.")
                )
            if not (data.get("reporter_contact") or "").strip():
                self.add_error(
                    "reporter_contact",
                    _("Write your phone number, or tick “Send without my identity”."),
                )
        return data

    def to_input(self) -> actions.ReportInput:
        d = self.cleaned_data
        anonymous = bool(d["anonymous"])
        return actions.ReportInput(
            category=d["category"],
            description=d["description"],
            channel="web",
            lat=d.get("lat"),
            lon=d.get("lon"),
            address_text=d.get("address_text") or "",
            anonymous=anonymous,
            reporter_name="" if anonymous else d.get("reporter_name") or "",
            reporter_contact="" if anonymous else d.get("reporter_contact") or "",
            photos=d.get("photos") or [],
            client_key=d["client_key"],
        )


class TicketForm(forms.Form):
    tiket = forms.CharField(
        label=_("Ticket code"),
        max_length=20,
        widget=forms.TextInput(
            attrs={
                "autocapitalize": "characters",
                "autocomplete": "off",
                "spellcheck": "false",
                "placeholder": "ACDF-HJ3K",
            }
        ),
    )

    def clean_tiket(self) -> str:
        code = actions.normalise_ticket(self.cleaned_data["tiket"])
        if code is None:
            raise forms.ValidationError(
                _("A ticket code has 8 letters and digits, like ACDF-HJ3K.")
            )
        return code


class RateForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("How was the response?"),
        coerce=int,
        choices=[
            (5, _("5 · very good")),
            (4, _("4 · good")),
            (3, _("3 · fair")),
            (2, _("2 · poor")),
            (1, _("1 · very poor")),
        ],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("Why should it be reopened?"),
        required=False,
        max_length=2000,
        widget=_hint_required(forms.Textarea(attrs={"rows": 3})),
    )


# --- the 110 operator's quick entry --------------------------------------------


class OperatorForm(forms.Form):
    """Field order is the order of a call: what, who, where, what exactly."""

    category = forms.ChoiceField(
        label=_("Category"),
        choices=[("", "—"), *Category.choices],
        widget=forms.Select(attrs={"autofocus": True, "data-rp-category": ""}),
    )
    caller_name = forms.CharField(label=_("Caller's name"), required=False, max_length=150)
    caller_phone = forms.CharField(
        label=_("Caller's phone"),
        required=False,
        max_length=150,
        widget=forms.TextInput(attrs={"inputmode": "tel"}),
    )
    anonymous = forms.BooleanField(label=_("Caller asks to stay anonymous"), required=False)
    kelurahan_q = forms.CharField(
        label=_("Kelurahan"),
        required=False,
        max_length=120,
        help_text=_("Type a name and pick it, or type the code."),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "data-rp-kelurahan-q": "", "role": "combobox"}
        ),
    )
    kelurahan = forms.CharField(
        required=False,
        validators=[kode_validator],
        widget=forms.HiddenInput(attrs={"data-rp-kelurahan": ""}),
    )
    address_text = forms.CharField(
        label=_("Place (street, landmark)"), required=False, max_length=300
    )
    coordinates = forms.CharField(
        label=_("Coordinates"),
        required=False,
        max_length=60,
        help_text=_("Optional: “lat, lon”, e.g. -6.1762, 106.8554"),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    description = forms.CharField(
        label=_("What the caller reports"),
        help_text=_("Ctrl+Enter saves."),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4, "data-rp-submit-on-ctrl-enter": ""}),
    )
    client_key = forms.CharField(max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args, user: User, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_coordinates(self) -> tuple[float, float] | None:
        raw = (self.cleaned_data.get("coordinates") or "").strip()
        if not raw:
            return None
        parts = raw.replace(";", ",").split(",")
        if len(parts) != 2:
            parts = raw.split()
        try:
            lat, lon = (float(p) for p in parts)
        except ValueError:
            raise forms.ValidationError(
                _("Write the coordinates as “lat, lon”, e.g. -6.1762, 106.8554.")
            ) from None
        return lat, lon

    def clean(self):
        data = super().clean()
        kode = data.get("kelurahan") or ""
        typed = (data.get("kelurahan_q") or "").strip()
        if not kode and typed:
            # Without JavaScript (or when nothing was picked) the box may hold a
            # code or an exact name in the operator's territory.
            qs = visible_wilayah(self.user).filter(level=Level.KELURAHAN)
            if KODE_RE.match(typed):
                match = list(qs.filter(kode=typed).values_list("kode", flat=True)[:2])
            else:
                match = list(qs.filter(nama__iexact=typed).values_list("kode", flat=True)[:2])
            if len(match) == 1:
                kode = match[0]
            elif len(match) > 1:
                self.add_error("kelurahan_q", _("Several kelurahan have this name: pick one."))
            else:
                self.add_error("kelurahan_q", _("No kelurahan of that name in your territory."))
        if (
            kode
            and not visible_wilayah(self.user).filter(kode=kode, level=Level.KELURAHAN).exists()
        ):
            self.add_error("kelurahan_q", _("This kelurahan is not in your territory."))
        data["kelurahan"] = kode
        return data

    def to_input(self) -> actions.ReportInput:
        d = self.cleaned_data
        lat, lon = d.get("coordinates") or (None, None)
        anonymous = bool(d["anonymous"])
        return actions.ReportInput(
            category=d["category"],
            description=d["description"],
            channel="call_110",
            lat=lat,
            lon=lon,
            address_text=d.get("address_text") or "",
            anonymous=anonymous,
            reporter_name="" if anonymous else d.get("caller_name") or "",
            reporter_contact="" if anonymous else d.get("caller_phone") or "",
            client_key=d["client_key"],
            kelurahan=d.get("kelurahan") or None,
        )


# --- workflow actions on the report page ---------------------------------------


class ActionForm(forms.Form):
    """One form per action on the report page; ids are prefixed by the action so
    that several forms can sit on one page, the field names stay plain."""

    action = ""

    def __init__(self, *args, user: User, report: Report, **kwargs):
        self.user = user
        self.report = report
        kwargs.setdefault("auto_id", f"id_{self.action}_%s")
        super().__init__(*args, **kwargs)


def _note(label=None, rows: int = 2, **kw) -> forms.CharField:
    return forms.CharField(
        label=_("Note (optional)") if label is None else label,
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": rows}),
        **kw,
    )


class VerifyForm(ActionForm):
    action = "verify"
    note = _note()


class RejectForm(ActionForm):
    action = "reject"
    reason = forms.CharField(
        label=_("Reason (shown to the reporter)"),
        required=False,
        max_length=2000,
        widget=_hint_required(forms.Textarea(attrs={"rows": 2})),
    )


class OfficerField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Officer) -> str:
        return str(obj)


class FollowUpForm(ActionForm):
    action = "follow_up"
    officer = OfficerField(
        label=_("Officer"), queryset=Officer.objects.none(), required=False, empty_label="—"
    )
    note = _note()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        qs = visible_officers(self.user).filter(active=True).select_related("unit")
        self.fields["officer"].queryset = qs.order_by("name", "pk")
        if not self.is_bound:
            self.fields["officer"].initial = self.report.assigned_officer_id or self.user.officer_id


class OnSceneForm(ActionForm):
    action = "on_scene"
    note = _note()


class ResolveForm(ActionForm):
    action = "resolve"
    note = forms.CharField(
        label=_("Resolution (shown to the reporter)"),
        required=False,
        max_length=5000,
        widget=_hint_required(forms.Textarea(attrs={"rows": 3})),
    )
    proof = forms.FileField(
        label=_("Proof photo (optional)"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/*"}),
    )

    def clean_proof(self) -> bytes | None:
        return read_upload(self.cleaned_data.get("proof"))


class NoteForm(ActionForm):
    action = "note"
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=5000,
        widget=_hint_required(forms.Textarea(attrs={"rows": 2})),
    )
    public = forms.BooleanField(label=_("Visible to the reporter"), required=False)


class RerouteForm(ActionForm):
    action = "reroute"
    kelurahan = forms.CharField(
        label=_("Kelurahan code"),
        required=False,
        max_length=13,
        validators=[kode_validator],
        widget=forms.TextInput(
            attrs={
                "placeholder": "31.71.08.1003",
                "autocomplete": "off",
                "data-rp-kelurahan-wide": "",
            }
        ),
    )
    polsek = forms.ModelChoiceField(
        label=_("or Polsek"), queryset=PoliceUnit.objects.none(), required=False, empty_label="—"
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=2000,
        widget=_hint_required(forms.Textarea(attrs={"rows": 2})),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.user.role == Role.BHABINKAMTIBMAS and not self.user.is_admin_role:
            # A Bhabinkamtibmas moves a report to a kelurahan, not to a Polsek.
            del self.fields["polsek"]
            return
        qs = PoliceUnit.objects.filter(kind=UnitKind.POLSEK)
        if not self.user.is_admin_role:
            # The Polsek the user commands, and those of the report's Polres
            # (moving a report within a Polres is the usual correction).
            q = Q(pk__in=scope_for(self.user).unit_ids)
            if self.report.polres_id:
                q |= Q(parent_id=self.report.polres_id)
            qs = qs.filter(q)
        self.fields["polsek"].queryset = qs.order_by("name")


class HandoffForm(ActionForm):
    action = "handoff"
    agency = forms.ChoiceField(label=_("Agency"), choices=Agency.choices)
    detail = forms.CharField(
        label=_("Which office, contact or reference"), required=False, max_length=150
    )
    note = _note(_("Internal note (optional)"))


class AgencyAcceptedForm(ActionForm):
    action = "agency_accepted"
    note = _note()


class MergeForm(ActionForm):
    action = "merge"
    into_ticket = forms.CharField(
        label=_("Merge into ticket"),
        max_length=20,
        widget=forms.TextInput(attrs={"placeholder": "ACDF-HJ3K", "autocomplete": "off"}),
    )
    note = _note()


class UnmergeForm(ActionForm):
    action = "unmerge"
    note = _note()


ACTION_FORMS: dict[str, type[ActionForm]] = {
    f.action: f
    for f in (
        VerifyForm,
        RejectForm,
        FollowUpForm,
        OnSceneForm,
        ResolveForm,
        NoteForm,
        RerouteForm,
        HandoffForm,
        AgencyAcceptedForm,
        MergeForm,
        UnmergeForm,
    )
}


# --- filters -------------------------------------------------------------------


class FilterForm(forms.Form):
    """A GET form whose valid fields filter a queryset; invalid ones are ignored."""

    def __init__(self, data, *, user: User):
        self.user = user
        super().__init__(data)
        self.is_valid()

    def value(self, name: str):
        return self.cleaned_data.get(name) if hasattr(self, "cleaned_data") else None


class BoardFilterForm(FilterForm):
    category = forms.ChoiceField(
        label=_("Category"), required=False, choices=[("", _("all categories")), *Category.choices]
    )
    urgency = forms.ChoiceField(
        label=_("Urgency"), required=False, choices=[("", _("any urgency")), *Urgency.choices]
    )

    def __init__(self, data, *, user: User):
        self.base_fields = {**self.base_fields, "kelurahan": kelurahan_filter_field(user)}
        super().__init__(data, user=user)

    def apply(self, qs: QuerySet[Report]) -> QuerySet[Report]:
        if category := self.value("category"):
            qs = qs.filter(category=category)
        if urgency := self.value("urgency"):
            qs = qs.filter(urgency=urgency)
        if kel := self.value("kelurahan"):
            qs = qs.filter(kelurahan_id=kel)
        return qs


class SearchForm(BoardFilterForm):
    q = forms.CharField(
        label=_("Ticket or text"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "autofocus": True}),
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("any status")), *Status.choices]
    )
    received_from = forms.DateField(
        label=_("Received from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    received_to = forms.DateField(
        label=_("Received until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    field_order = [
        "q",
        "status",
        "category",
        "urgency",
        "kelurahan",
        "received_from",
        "received_to",
    ]

    def apply(self, qs: QuerySet[Report]) -> QuerySet[Report]:
        qs = super().apply(qs)
        if q := (self.value("q") or "").strip():
            code = actions.normalise_ticket(q)
            text = Q(description__icontains=q) | Q(address_text__icontains=q)
            qs = qs.filter(Q(ticket=code) | text) if code else qs.filter(text)
        if status := self.value("status"):
            qs = qs.filter(status=status)
        if day := self.value("received_from"):
            qs = qs.filter(received_at__gte=start_of_day(day))
        if day := self.value("received_to"):
            qs = qs.filter(received_at__lt=start_of_day(day + dt.timedelta(days=1)))
        return qs

"""Desktop pages for field work under /fieldwork/ (docs/fieldwork.md).

Thin function views: every query goes through the scoping helpers of
``sejuk.fieldwork.access`` (records outside the user's territory answer 404),
every write through ``sejuk.fieldwork.actions`` or ``titik_csv``. Contacts are
personal data: each list or detail view that shows them is written to the
audit log, and so is every export.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sejuk.accounts import audit
from sejuk.accounts.access import get_in_scope, has_role, in_scope, role_required, visible_wilayah
from sejuk.accounts.models import AuditAction, Role, User
from sejuk.fieldwork import actions, forms, titik_csv
from sejuk.fieldwork.access import (
    can_read_contacts,
    can_reassign,
    can_write_fieldwork,
    may_write_in,
    visible_activities,
    visible_complaints,
    visible_contacts,
    visible_titik,
)
from sejuk.fieldwork.models import (
    CHECKIN_FLAG_METRES,
    VULNERABILITY_WEIGHT,
    ActivityPhoto,
    ComplaintStatus,
    Contact,
    FieldComplaint,
    SyncConflict,
    TitikCategory,
    TitikRawan,
    Visit,
    Vulnerability,
)
from sejuk.territory.models import Level

PAGE_SIZE = 50
TITIK_PAGE_SIZE = 100
# Points drawn on the list map; beyond this the user narrows the filters.
MAP_LIMIT = 5000
# Kelurahan outlines embedded in a page (each is a few kB of GeoJSON).
BOUNDARY_LIMIT = 12
# Kelurahan rows on the coverage page; beyond this the user picks a kelurahan.
COVERAGE_KELURAHAN_LIMIT = 1000
COVERAGE_ROLES = (
    Role.BHABINKAMTIBMAS,
    Role.KAPOLSEK,
    Role.POLSEK_STAFF,
    Role.KAPOLRES,
    Role.POLRES_STAFF,
)
CONTACT_LIST_FIELDS = ["name", "phone"]
CONTACT_DETAIL_FIELDS = list(Contact.PERSONAL_FIELDS)


# --- helpers -------------------------------------------------------------------


def _render(request: HttpRequest, template: str, ctx: dict, *, section: str, status: int = 200):
    user = request.user
    ctx["fw"] = {
        "section": section,
        "can_write": can_write_fieldwork(user),
        "can_read_contacts": can_read_contacts(user),
        "can_see_coverage": has_role(user, *COVERAGE_ROLES),
    }
    return render(request, template, ctx, status=status)


def _page(request: HttpRequest, qs, size: int = PAGE_SIZE) -> Page:
    return Paginator(qs, size).get_page(request.GET.get("page"))


def _days_since(when: dt.datetime | None, today: dt.date) -> int | None:
    if when is None:
        return None
    return (today - timezone.localtime(when).date()).days


def _form_errors(form, exc: actions.FieldworkError) -> None:
    """Attach an action's field errors to the form; other keys ("location") become
    form-wide errors."""
    for key, message in exc.errors.items():
        form.add_error(key if key in form.fields else None, message)


def _subcount(model, field: str = "activity"):
    """Count of ``model`` rows pointing at the outer row, as a correlated subquery
    (several plain Count() joins would multiply each other)."""
    sq = (
        model.objects.filter(**{field: OuterRef("pk")})
        .order_by()
        .values(field)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(sq, output_field=IntegerField()), Value(0))


def _active_on(day: dt.date) -> Q:
    return (Q(active_from__isnull=True) | Q(active_from__lte=day)) & (
        Q(active_until__isnull=True) | Q(active_until__gte=day)
    )


def _vulnerability_rank():
    return Case(
        *[When(vulnerability=v, then=Value(w)) for v, w in VULNERABILITY_WEIGHT.items()],
        default=Value(0),
        output_field=IntegerField(),
    )


def _boundaries(user: User, codes: Iterable[str]) -> dict | None:
    """GeoJSON outlines of a few kelurahan, for orientation on maps without tiles."""
    codes = list(codes)[: BOUNDARY_LIMIT + 1]
    if not codes or len(codes) > BOUNDARY_LIMIT:
        return None
    rows = (
        visible_wilayah(user)
        .filter(kode__in=codes, geometry__isnull=False)
        .values_list("kode", "nama", "geometry")
    )
    features = [
        {"type": "Feature", "geometry": g, "properties": {"kode": k, "nama": n}} for k, n, g in rows
    ]
    return {"type": "FeatureCollection", "features": features} if features else None


def _scope_kelurahan_codes(user: User, selected: str | None = None) -> list[str]:
    if selected:
        return [selected]
    return list(
        visible_wilayah(user)
        .filter(level=Level.KELURAHAN)
        .order_by("kode")
        .values_list("kode", flat=True)[: BOUNDARY_LIMIT + 1]
    )


def _csv_cell(value: Any) -> Any:
    """Neutralise text that a spreadsheet would run as a formula (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_response(filename: str, header: list[str], rows: Iterable[list]) -> StreamingHttpResponse:
    writer = csv.writer(_Echo(), lineterminator="\n")

    def lines() -> Iterator[str]:
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow([_csv_cell(v) for v in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _log_export(object_type: str, what: str, rows: int, filters: dict) -> None:
    audit.log(
        AuditAction.EXPORT,
        object_type=object_type,
        object_repr=f"{rows} {what} (CSV)",
        changes={"rows": rows, "filters": filters},
    )


def _log_contact_views(user: User, contacts: Iterable[Contact], fields: list[str]) -> None:
    # One audit entry per contact shown, written in one INSERT.
    audit.log_views(user, list(contacts), fields)


def _local_iso(value: dt.datetime | None) -> str:
    return timezone.localtime(value).isoformat(timespec="minutes") if value else ""


# --- titik rawan -----------------------------------------------------------------


def _titik_rows(qs: QuerySet[TitikRawan]) -> QuerySet[TitikRawan]:
    return qs.annotate(kelurahan_nama=F("kelurahan__nama"), last_visit_at=Max("visits__checkin_at"))


@login_required
@require_GET
def titik_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = forms.TitikFilterForm(request.GET, user=user)
    rows = _titik_rows(form.apply(visible_titik(user)))
    page = _page(request, rows.order_by("kelurahan__nama", "name", "pk"), TITIK_PAGE_SIZE)
    today = timezone.localdate()
    for t in page:
        t.days_since = _days_since(t.last_visit_at, today)
    points = [
        {
            "id": p["pk"],
            "name": p["name"],
            "lat": p["lat"],
            "lon": p["lon"],
            "v": p["vulnerability"],
            "kel": p["kelurahan_nama"],
            "days": _days_since(p["last_visit_at"], today),
        }
        for p in rows.order_by().values(
            "pk", "name", "lat", "lon", "vulnerability", "kelurahan_nama", "last_visit_at"
        )[: MAP_LIMIT + 1]
    ]
    ctx = {
        "form": form,
        "page": page,
        "map_data": {
            "points": points[:MAP_LIMIT],
            "boundaries": _boundaries(user, _scope_kelurahan_codes(user, form.value("kelurahan"))),
            "detail_base": reverse("fieldwork:titik-list"),
        },
        "map_truncated": len(points) > MAP_LIMIT,
        "map_limit": MAP_LIMIT,
    }
    return _render(request, "fieldwork/titik_list.html", ctx, section="titik")


@login_required
@require_GET
def titik_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    t = get_in_scope(_titik_rows(visible_titik(user)), user, pk)
    today = timezone.localdate()
    t.days_since = _days_since(t.last_visit_at, today)
    visits = (
        in_scope(Visit.objects.filter(titik=t), user, "activity__kelurahan_id")
        .select_related("activity")
        .prefetch_related("activity__officers")
        .order_by("-checkin_at", "-pk")
    )
    ctx = {
        "t": t,
        "page": _page(request, visits),
        "can_edit": may_write_in(user, t.kelurahan_id),
        "flag_metres": CHECKIN_FLAG_METRES,
        "map_data": {
            "points": [
                {"id": t.pk, "name": t.name, "lat": t.lat, "lon": t.lon, "v": t.vulnerability}
            ],
            "boundaries": _boundaries(user, [t.kelurahan_id]),
        },
    }
    return _render(request, "fieldwork/titik_detail.html", ctx, section="titik")


@login_required
@require_http_methods(["GET", "POST"])
def titik_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user = request.user
    if pk is None:
        if not can_write_fieldwork(user):
            raise PermissionDenied(_("Your role does not edit the titik rawan registry."))
        titik = TitikRawan()
        initial = {}
        if (kel := request.GET.get("kelurahan")) and may_write_in(user, kel):
            initial["kelurahan"] = kel
    else:
        titik = get_in_scope(visible_titik(user), user, pk)
        if not may_write_in(user, titik.kelurahan_id):
            raise PermissionDenied(_("Your role does not edit the titik rawan registry."))
        initial = {}
    form = forms.TitikForm(request.POST or None, instance=titik, initial=initial, user=user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                saved = actions.do_save_titik(user, form.instance)
            except actions.FieldworkError as exc:
                _form_errors(form, exc)
            except actions.NotInScope:
                raise Http404(_("Not found in your territory")) from None
            except actions.NotAllowed as exc:
                raise PermissionDenied(str(exc)) from None
            else:
                messages.success(request, _("Saved: %(name)s") % {"name": saved.name})
                return redirect("fieldwork:titik", saved.pk)
        status = 422
    choices = forms.kelurahan_choices(user) or []
    ctx = {
        "form": form,
        "titik": titik,
        "map_data": {
            "points": [],
            "boundaries": _boundaries(user, [k for k, _n in choices]),
            "point": [titik.lat, titik.lon] if titik.lat is not None else None,
        },
    }
    return _render(request, "fieldwork/titik_form.html", ctx, section="titik", status=status)


@login_required
@require_GET
def titik_export(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = forms.TitikFilterForm(request.GET, user=user)
    rows = list(form.apply(visible_titik(user)).order_by("kelurahan_id", "name", "pk"))
    _log_export("fieldwork.titikrawan", "titik rawan", len(rows), form.active())
    response = HttpResponse(titik_csv.export_csv(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="titik_rawan.csv"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def titik_import(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not can_write_fieldwork(user):
        raise PermissionDenied(_("Your role does not edit the titik rawan registry."))
    form = forms.TitikImportForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    status = 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = titik_csv.import_csv(user, upload.read(titik_csv.MAX_BYTES + 1))
            except titik_csv.TitikCsvError as exc:
                problems = exc.errors
            else:
                audit.log(
                    AuditAction.IMPORT,
                    object_type="fieldwork.titikrawan",
                    object_repr=f"titik rawan CSV {upload.name}"[:300],
                    changes={
                        "rows": result.rows,
                        "created": result.created,
                        "updated": result.updated,
                        "unchanged": result.unchanged,
                    },
                )
                messages.success(
                    request,
                    _(
                        "Imported %(rows)d rows: %(created)d created, %(updated)d updated, "
                        "%(unchanged)d unchanged."
                    )
                    % {
                        "rows": result.rows,
                        "created": result.created,
                        "updated": result.updated,
                        "unchanged": result.unchanged,
                    },
                )
                # Redirect so that a reload cannot import the new rows twice.
                return redirect("fieldwork:titik-import")
        status = 422
    ctx = {
        "form": form,
        "problems": problems,
        "columns": titik_csv.COLUMNS,
        "required": [c for c in titik_csv.COLUMNS if c in titik_csv.REQUIRED],
        "categories": TitikCategory.values,
        "vulnerabilities": Vulnerability.values,
    }
    return _render(request, "fieldwork/titik_import.html", ctx, section="titik", status=status)


# --- activities ------------------------------------------------------------------


def _activity_rows(qs):
    return qs.annotate(
        kelurahan_nama=F("kelurahan__nama"),
        n_photos=_subcount(ActivityPhoto),
        n_complaints=_subcount(FieldComplaint),
    ).prefetch_related(
        "officers",
        Prefetch("visits", queryset=Visit.objects.only("pk", "activity_id", "titik_id", "flagged")),
    )


@login_required
@require_GET
def activity_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = forms.ActivityFilterForm(request.GET, user=user)
    qs = _activity_rows(form.apply(visible_activities(user))).order_by("-started_at", "-pk")
    page = _page(request, qs)
    for a in page:
        visits = list(a.visits.all())
        a.n_visits = len(visits)
        a.n_flagged = sum(1 for v in visits if v.flagged)
    ctx = {"form": form, "page": page}
    return _render(request, "fieldwork/activity_list.html", ctx, section="activities")


ACTIVITY_CSV_HEADER = [
    "id",
    "kind",
    "started_at",
    "ended_at",
    "kelurahan",
    "kelurahan_nama",
    "officers",
    "location_text",
    "people_met",
    "people_count",
    "topics",
    "topics_other",
    "appeals",
    "notes",
    "follow_up_needed",
    "visits",
    "flagged_visits",
    "complaints",
    "photos",
]


@login_required
@require_GET
def activity_export(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = forms.ActivityFilterForm(request.GET, user=user)
    qs = _activity_rows(form.apply(visible_activities(user))).order_by("-started_at", "-pk")
    _log_export("fieldwork.activity", "activities", qs.count(), form.active())

    def rows():
        for a in qs.iterator(chunk_size=500):
            visits = list(a.visits.all())
            yield [
                a.pk,
                a.kind,
                _local_iso(a.started_at),
                _local_iso(a.ended_at),
                a.kelurahan_id,
                a.kelurahan_nama,
                "; ".join(str(o) for o in a.officers.all()),
                a.location_text,
                a.people_met,
                "" if a.people_count is None else a.people_count,
                ";".join(a.topics),
                a.topics_other,
                a.appeals,
                a.notes,
                "yes" if a.follow_up_needed else "no",
                len(visits),
                sum(1 for v in visits if v.flagged),
                a.n_complaints,
                a.n_photos,
            ]

    return _csv_response("activities.csv", ACTIVITY_CSV_HEADER, rows())


def _json_display(value: Any) -> str:
    """A conflict's kept or discarded value (plain JSON) as readable text."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    if isinstance(value, str):
        try:
            return timezone.localtime(dt.datetime.fromisoformat(value)).strftime("%Y-%m-%d %H:%M")
        except ValueError:
            return value
    return str(value)


@login_required
@require_GET
def activity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    qs = (
        visible_activities(user)
        .select_related("kelurahan", "created_by")
        .defer("kelurahan__geometry")
        .prefetch_related(
            "officers",
            Prefetch(
                "visits", queryset=Visit.objects.select_related("titik").order_by("checkin_at")
            ),
            Prefetch("photos", queryset=ActivityPhoto.objects.order_by("created_at", "pk")),
            Prefetch("complaints", queryset=FieldComplaint.objects.select_related("owner")),
            Prefetch(
                "conflicts",
                queryset=SyncConflict.objects.filter(acknowledged=False)
                .select_related("discarded_by")
                .order_by("at", "pk"),
                to_attr="open_conflicts",
            ),
        )
    )
    a = get_in_scope(qs, user, pk)
    today = timezone.localdate()
    for c in a.open_conflicts:
        c.kept_display = _json_display(c.kept_value)
        c.discarded_display = _json_display(c.discarded_value)
    complaints = list(a.complaints.all())
    for c in complaints:
        c.overdue = c.is_overdue(today)
    # Contacts are personal data: names for those who may read contacts (audited),
    # only the role ("Ketua RT 05") for everyone else.
    if can_read_contacts(user):
        contacts = list(visible_contacts(user).filter(meetings=a).order_by("name"))
        _log_contact_views(user, contacts, ["name"])
        contact_roles = []
    else:
        contacts = []
        contact_roles = list(a.contacts.order_by("role_title").values_list("role_title", flat=True))
    ctx = {
        "a": a,
        "contacts": contacts,
        "contact_roles": contact_roles,
        "complaints": complaints,
        "flag_metres": CHECKIN_FLAG_METRES,
        "can_ack": may_write_in(user, a.kelurahan_id),
    }
    return _render(request, "fieldwork/activity_detail.html", ctx, section="activities")


@login_required
@require_POST
def conflict_ack(request: HttpRequest, pk: int, conflict_id: int) -> HttpResponse:
    user = request.user
    a = get_in_scope(visible_activities(user), user, pk)
    conflict = get_object_or_404(SyncConflict, pk=conflict_id, activity=a)
    try:
        actions.do_ack_conflict(user, conflict)
    except actions.NotAllowed:
        raise PermissionDenied(
            _("Only the officers of this kelurahan acknowledge conflicts.")
        ) from None
    messages.success(request, _("Conflict acknowledged."))
    return redirect("fieldwork:activity", a.pk)


# --- contacts (personal data) -----------------------------------------------------


def _contacts_for(user: User) -> QuerySet[Contact]:
    # Not a reader: the pages do not exist for this role (404, as role_required).
    if not can_read_contacts(user):
        raise Http404(_("Not available for your role"))
    return visible_contacts(user)


@login_required
@require_GET
def contact_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = forms.ContactFilterForm(request.GET, user=user)
    qs = (
        form.apply(_contacts_for(user))
        .annotate(
            kelurahan_nama=F("kelurahan__nama"),
            n_meetings=Count("meetings"),
            last_met_at=Max("meetings__started_at"),
        )
        .order_by("kelurahan__nama", "name", "pk")
    )
    page = _page(request, qs)
    _log_contact_views(user, page, CONTACT_LIST_FIELDS)
    ctx = {"form": form, "page": page}
    return _render(request, "fieldwork/contact_list.html", ctx, section="contacts")


@login_required
@require_GET
def contact_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    c = get_in_scope(
        _contacts_for(user).select_related("kelurahan").defer("kelurahan__geometry"), user, pk
    )
    _log_contact_views(user, [c], CONTACT_DETAIL_FIELDS)
    meetings = (
        in_scope(c.meetings.all(), user)
        .annotate(kelurahan_nama=F("kelurahan__nama"))
        .prefetch_related("officers")
        .order_by("-started_at", "-pk")
    )
    ctx = {"c": c, "page": _page(request, meetings), "can_edit": may_write_in(user, c.kelurahan_id)}
    return _render(request, "fieldwork/contact_detail.html", ctx, section="contacts")


@login_required
@require_http_methods(["GET", "POST"])
def contact_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user = request.user
    contacts = _contacts_for(user)
    if pk is None:
        contact = Contact()
        if not can_write_fieldwork(user):
            raise PermissionDenied(_("Your role does not edit contacts."))
    else:
        contact = get_in_scope(contacts, user, pk)
        if not may_write_in(user, contact.kelurahan_id):
            raise PermissionDenied(_("Your role does not edit contacts."))
        if request.method == "GET":
            _log_contact_views(user, [contact], CONTACT_DETAIL_FIELDS)
    form = forms.ContactForm(request.POST or None, instance=contact, user=user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                saved = actions.do_save_contact(user, form.save(commit=False))
            except actions.NotInScope:
                raise Http404(_("Not found in your territory")) from None
            except actions.NotAllowed:
                raise PermissionDenied(_("Your role does not edit contacts.")) from None
            except actions.FieldworkError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("Saved: %(name)s") % {"name": saved.name})
                return redirect("fieldwork:contact", saved.pk)
        status = 422
    ctx = {"form": form, "contact": contact}
    return _render(request, "fieldwork/contact_form.html", ctx, section="contacts", status=status)


# --- complaints ------------------------------------------------------------------


@login_required
@require_GET
def complaint_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    today = timezone.localdate()
    form = forms.ComplaintFilterForm(request.GET, user=user)
    qs = (
        form.apply(visible_complaints(user), today)
        .select_related("owner")
        .annotate(
            kelurahan_nama=F("kelurahan__nama"),
            closed=Case(
                When(status__in=forms.ACTIVE_STATUSES, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            ),
        )
        .order_by("closed", "due_date", "pk")
    )
    page = _page(request, qs)
    for c in page:
        c.overdue = c.is_overdue(today)
    ctx = {"form": form, "page": page}
    return _render(request, "fieldwork/complaint_list.html", ctx, section="complaints")


def _complaint(user: User, pk: int) -> FieldComplaint:
    qs = (
        visible_complaints(user)
        .select_related("owner", "activity", "kelurahan")
        .defer("kelurahan__geometry")
    )
    return get_in_scope(qs, user, pk)


def _complaint_page(
    request: HttpRequest,
    c: FieldComplaint,
    *,
    transition_form=None,
    reassign_form=None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    can_act = may_write_in(user, c.kelurahan_id)
    may_reassign = can_reassign(user, c)
    if can_act and transition_form is None:
        transition_form = forms.TransitionForm(complaint=c)
    if may_reassign and reassign_form is None:
        reassign_form = forms.ReassignForm(user=user, complaint=c)
    labels = dict(ComplaintStatus.choices)
    events = list(c.events.select_related("actor"))
    for e in events:
        e.from_label = labels.get(e.from_status, e.from_status)
        e.to_label = labels.get(e.to_status, e.to_status)
    ctx = {
        "c": c,
        "overdue": c.is_overdue(),
        "events": events,
        "transition_form": transition_form if can_act else None,
        "reassign_form": reassign_form if may_reassign else None,
    }
    return _render(
        request, "fieldwork/complaint_detail.html", ctx, section="complaints", status=status
    )


@login_required
@require_GET
def complaint_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _complaint_page(request, _complaint(request.user, pk))


@login_required
@require_POST
def complaint_transition(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    c = _complaint(user, pk)
    if not may_write_in(user, c.kelurahan_id):
        raise PermissionDenied(_("Your role does not handle field complaints."))
    form = forms.TransitionForm(request.POST, complaint=c)
    if form.is_valid():
        data = form.cleaned_data
        try:
            actions.do_transition_complaint(
                user,
                c,
                data["status"],
                note=data["note"],
                handed_to=data["handed_to"],
                resolution=data["resolution"],
            )
        except actions.FieldworkError as exc:
            _form_errors(form, exc)
        except actions.NotAllowed as exc:
            raise PermissionDenied(str(exc)) from None
        else:
            messages.success(
                request,
                _("Status changed to: %(status)s")
                % {"status": ComplaintStatus(data["status"]).label},
            )
            return redirect("fieldwork:complaint", c.pk)
    return _complaint_page(request, c, transition_form=form, status=422)


@login_required
@require_POST
def complaint_reassign(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    c = _complaint(user, pk)
    if not can_reassign(user, c):
        raise PermissionDenied(_("Only the Kapolsek and Polsek staff reassign complaints."))
    form = forms.ReassignForm(request.POST, user=user, complaint=c)
    if form.is_valid():
        try:
            actions.do_reassign_complaint(
                user, c, form.cleaned_data["owner"], form.cleaned_data["due_date"]
            )
        except actions.FieldworkError as exc:
            _form_errors(form, exc)
        except actions.NotAllowed as exc:
            raise PermissionDenied(str(exc)) from None
        else:
            messages.success(request, _("Complaint reassigned."))
            return redirect("fieldwork:complaint", c.pk)
    return _complaint_page(request, c, reassign_form=form, status=422)


# --- coverage --------------------------------------------------------------------


def _coverage(user: User, form: forms.CoverageForm, today: dt.date) -> dict:
    """Per kelurahan and per titik rawan: when it was last visited.

    Built from grouped aggregate queries (one per measure, each over an
    index), never one query per kelurahan or titik, so it holds for
    thousands of points. A point is *stale* when it had no visit on any of
    the last ``n`` calendar days (today included) in Asia/Jakarta.
    """
    n = form.days
    cutoff = forms.start_of_day(today - dt.timedelta(days=n - 1))
    week_start = forms.start_of_day(today - dt.timedelta(days=6))
    kel_filter = form.value("kelurahan")

    kelurahan = visible_wilayah(user).filter(level=Level.KELURAHAN)
    titik = visible_titik(user)
    activities = visible_activities(user)
    visits = in_scope(Visit.objects.all(), user, "titik__kelurahan_id")
    if kel_filter:
        kelurahan = kelurahan.filter(kode=kel_filter)
        titik = titik.filter(kelurahan_id=kel_filter)
        activities = activities.filter(kelurahan_id=kel_filter)
        visits = visits.filter(titik__kelurahan_id=kel_filter)
    active = titik.filter(_active_on(today))

    recent = Visit.objects.filter(titik=OuterRef("pk"), checkin_at__gte=cutoff)
    per_kel_titik = {
        r["kelurahan_id"]: r
        for r in active.alias(recent=Exists(recent))
        .values("kelurahan_id")
        .annotate(n=Count("pk"), stale=Count("pk", filter=Q(recent=False)))
        .order_by()
    }
    per_kel_activities = dict(
        activities.filter(started_at__gte=week_start)
        .values("kelurahan_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("kelurahan_id", "n")
    )
    per_kel_last = dict(
        visits.values("titik__kelurahan_id")
        .annotate(last=Max("checkin_at"))
        .order_by()
        .values_list("titik__kelurahan_id", "last")
    )
    kel_rows = []
    for kode, nama in kelurahan.order_by("kode").values_list("kode", "nama")[
        :COVERAGE_KELURAHAN_LIMIT
    ]:
        t = per_kel_titik.get(kode, {})
        last = per_kel_last.get(kode)
        kel_rows.append(
            {
                "kode": kode,
                "nama": nama,
                "titik": t.get("n", 0),
                "stale": t.get("stale", 0),
                "activities_7d": per_kel_activities.get(kode, 0),
                "last_visit_at": last,
                "days_since": _days_since(last, today),
                "stale_kelurahan": last is None or last < cutoff,
            }
        )
    # Most neglected first: never visited, then the longest ago.
    kel_rows.sort(
        key=lambda r: (-(r["days_since"] if r["days_since"] is not None else 10**9), r["nama"])
    )

    titik_rows = _titik_rows(active).annotate(vrank=_vulnerability_rank())
    if form.value("stale"):
        titik_rows = titik_rows.filter(Q(last_visit_at__isnull=True) | Q(last_visit_at__lt=cutoff))
    titik_rows = titik_rows.order_by(
        F("last_visit_at").asc(nulls_first=True), "-vrank", "kelurahan__nama", "name", "pk"
    )
    return {
        "n": n,
        "cutoff": cutoff,
        "kelurahan": kel_rows,
        "kelurahan_truncated": len(kel_rows) >= COVERAGE_KELURAHAN_LIMIT,
        "titik": titik_rows,
        "total_titik": sum(r["n"] for r in per_kel_titik.values()),
        "total_stale": sum(r["stale"] for r in per_kel_titik.values()),
    }


@role_required(*COVERAGE_ROLES)
@require_GET
def coverage(request: HttpRequest) -> HttpResponse:
    user = request.user
    today = timezone.localdate()
    form = forms.CoverageForm(request.GET, user=user)
    data = _coverage(user, form, today)
    page = _page(request, data["titik"], TITIK_PAGE_SIZE)
    for t in page:
        t.days_since = _days_since(t.last_visit_at, today)
        t.stale = t.last_visit_at is None or t.last_visit_at < data["cutoff"]
    ctx = {"form": form, "data": data, "page": page, "today": today}
    return _render(request, "fieldwork/coverage.html", ctx, section="coverage")


COVERAGE_CSV_HEADER = [
    "kelurahan",
    "kelurahan_nama",
    "titik_id",
    "titik",
    "category",
    "vulnerability",
    "last_visit_at",
    "days_since_last_visit",
    "not_visited_in_n_days",
    "n",
]


@role_required(*COVERAGE_ROLES)
@require_GET
def coverage_export(request: HttpRequest) -> HttpResponse:
    user = request.user
    today = timezone.localdate()
    form = forms.CoverageForm(request.GET, user=user)
    data = _coverage(user, form, today)
    qs = data["titik"]
    _log_export("fieldwork.coverage", "titik rawan coverage rows", qs.count(), form.active())

    def rows():
        for t in qs.iterator(chunk_size=1000):
            days = _days_since(t.last_visit_at, today)
            yield [
                t.kelurahan_id,
                t.kelurahan_nama,
                t.pk,
                t.name,
                t.category,
                t.vulnerability,
                _local_iso(t.last_visit_at),
                "never" if days is None else days,
                "yes" if t.last_visit_at is None or t.last_visit_at < data["cutoff"] else "no",
                data["n"],
            ]

    return _csv_response(f"coverage_{today.isoformat()}.csv", COVERAGE_CSV_HEADER, rows())

"""Pages for citizen reports (docs/reports.md).

* ``/lapor/``: the resident's pages, no account: the report form, the ticket
  lookup and the status page with rating and reopening. Rate-limited with the
  same counters as the public API; no JavaScript is needed except for the map.
* ``/reports/``: the staff pages: the officer's queue, the Kapolsek's board,
  the archive search, the 110 operator's quick entry, the report page with its
  actions, notifications, and photos served with access control.

Thin function views: every staff query goes through
``sejuk.reports.access.visible_reports`` (a report outside the user's
territory answers 404), every write through ``sejuk.reports.actions``; an
action's ``ReportError`` becomes form errors (422), ``NotInScope`` a 404 and
``NotAllowed`` a 403.
"""

from __future__ import annotations

import datetime as dt
import re

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sejuk.accounts.access import has_role, role_required, visible_wilayah
from sejuk.accounts.models import Role, User
from sejuk.analytics.geo import haversine_m
from sejuk.lib.ids import parse_id
from sejuk.reports import actions, forms
from sejuk.reports.access import (
    ACTION_ROLES,
    HANDLERS,
    can_handle,
    can_see_reporter,
    role_allows,
    visible_reports,
)
from sejuk.reports.api import LIMIT_MESSAGE, LOOKUP_LIMIT_MESSAGE, limited, lookup_limited
from sejuk.reports.models import (
    OPEN_STATUSES,
    Category,
    Notification,
    Report,
    ReportPhoto,
    Status,
    Urgency,
    new_client_key,
)
from sejuk.territory.models import Level, Officer, PoliceUnit, UnitKind, Wilayah, kode_range

PAGE_SIZE = 50
# Cards per board column; the column header shows the full count.
BOARD_COLUMN_LIMIT = 60
TRIAGE_LIMIT = 100
NEARBY_METRES = 1000
NEARBY_LIMIT = 10
RECENT_ENTRIES = 8
# Kelurahan outlines drawn on the public form's map for orientation (no tiles
# needed). A national deployment covers far more: then the map has none.
PUBLIC_OUTLINE_LIMIT = 150
PUBLIC_OUTLINE_CACHE_SECONDS = 600

# Who uses which staff page.
OPERATOR_ROLES = (
    Role.OPERATOR_110,
    Role.POLRES_STAFF,
    Role.POLSEK_STAFF,
    Role.KAPOLRES,
    Role.KAPOLSEK,
)
POLRES_ROLES = (Role.KAPOLRES, Role.POLRES_STAFF, Role.OPERATOR_110)
ACTION_TITLES = {
    "verify": gettext_lazy("Verify"),
    "follow_up": gettext_lazy("Follow up"),
    "on_scene": gettext_lazy("On scene"),
    "resolve": gettext_lazy("Resolve"),
    "reject": gettext_lazy("Reject"),
    "note": gettext_lazy("Add a note"),
    "handoff": gettext_lazy("Hand off to an agency"),
    "agency_accepted": gettext_lazy("Agency accepted"),
    "reroute": gettext_lazy("Re-route"),
    "merge": gettext_lazy("Merge into another report"),
    "unmerge": gettext_lazy("Undo the merge"),
}
ACTION_DONE = {
    "verify": gettext_lazy("Verified."),
    "follow_up": gettext_lazy("Follow-up started."),
    "on_scene": gettext_lazy("Recorded: on scene."),
    "resolve": gettext_lazy("Resolved."),
    "reject": gettext_lazy("Rejected."),
    "note": gettext_lazy("Note added."),
    "handoff": gettext_lazy("Handed off."),
    "agency_accepted": gettext_lazy("Recorded: the agency accepted it."),
    "reroute": gettext_lazy("Re-routed."),
    "merge": gettext_lazy("Merged."),
    "unmerge": gettext_lazy("Merge undone."),
}
SLA_LABELS = {
    "on_time": gettext_lazy("on time"),
    "due_soon": gettext_lazy("due soon"),
    "late": gettext_lazy("late"),
    "met": gettext_lazy("SLA met"),
    "n_a": "—",
}
BOARD_COLUMNS = (Status.RECEIVED, Status.VERIFIED, Status.IN_FOLLOW_UP, Status.HANDED_OFF)
# Keys of an action's ReportError that name a form field by another name.
ERROR_ALIASES = {
    "resolution_note": "note",
    "officer_id": "officer",
    "into": "into_ticket",
    "merged_into": None,
    "status": None,
    "location": None,
}
OPERATOR_ERROR_ALIASES = {
    "reporter_contact": "caller_phone",
    "reporter_name": "caller_name",
    "location": "coordinates",
    "kelurahan": "kelurahan_q",
}


# --- helpers -------------------------------------------------------------------


def _form_errors(form, exc: actions.ReportError, aliases: dict | None = None) -> None:
    """Put an action's errors on the form: ``photos[2]`` goes to ``photos``;
    keys that are not fields become form-wide errors."""
    table = {**ERROR_ALIASES, **(aliases or {})}
    for key, message in exc.errors.items():
        name = re.sub(r"\[\d+\]$", "", key)
        name = table.get(name, name)
        form.add_error(name if name in form.fields else None, message)


def _page(request: HttpRequest, qs, size: int = PAGE_SIZE) -> Page:
    return Paginator(qs, size).get_page(request.GET.get("page"))


def _open(qs: QuerySet[Report]) -> QuerySet[Report]:
    """The working queues: open, not archived, not merged into another case."""
    return qs.filter(status__in=OPEN_STATUSES, archived=False, merged_into__isnull=True)


def _rows(qs: QuerySet[Report]) -> QuerySet[Report]:
    """What a list row shows, in one query (no kelurahan geometry)."""
    return qs.select_related("assigned_officer", "polsek").annotate(
        kelurahan_nama=F("kelurahan__nama"), merged_ticket=F("merged_into__ticket")
    )


def _urgent_first():
    return Case(
        When(urgency=Urgency.URGENT, then=Value(0)), default=Value(1), output_field=IntegerField()
    )


def _with_sla(rows, now: dt.datetime | None = None):
    now = now or timezone.now()
    for r in rows:
        r.sla = r.sla_state(now)
        r.sla_label = SLA_LABELS.get(r.sla, r.sla)
        r.due = r.pending_due()
    return rows


def _render(request: HttpRequest, template: str, ctx: dict, *, section: str, status: int = 200):
    user = request.user
    ctx["rp"] = {
        "section": section,
        "can_handle": can_handle(user),
        "can_operate": has_role(user, *OPERATOR_ROLES),
        "unread": Notification.objects.filter(user=user, read_at__isnull=True).count(),
    }
    return render(request, template, ctx, status=status)


def _report_or_404(user: User, pk: int, *, write: bool = False) -> Report:
    try:
        return actions.get_report_for_user(user, pk, write=write)
    except actions.NotInScope:
        raise Http404(_("No such report in your territory")) from None
    except actions.NotAllowed as exc:
        raise PermissionDenied(str(exc)) from None


def _point_feature(w: Wilayah | None) -> dict | None:
    if w is None or not w.geometry:
        return None
    return {
        "type": "Feature",
        "geometry": w.geometry,
        "properties": {"kode": w.kode, "nama": w.nama},
    }


# --- permissions on the report page --------------------------------------------


def allowed_actions(user: User, r: Report) -> list[str]:
    """The actions offered on the report page, in the order they are shown."""
    return [a for a in ACTION_ROLES if role_allows(user, a) and r.allows(a)]


# --- staff: queue, board, search -----------------------------------------------


@role_required(*HANDLERS)
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    """The officer's queue: open reports assigned to me or in my kelurahan."""
    user = request.user
    mine = Q(pk__in=[])
    if user.officer_id:
        mine |= Q(assigned_officer_id=user.officer_id)
        if user.role == Role.BHABINKAMTIBMAS:
            mine |= Q(
                kelurahan_id__in=Officer.kelurahan.through.objects.filter(
                    officer_id=user.officer_id
                ).values("wilayah_id")
            )
    qs = _rows(_open(visible_reports(user)).filter(mine)).order_by(
        _urgent_first(), "ack_due_at", "pk"
    )
    page = _page(request, qs)
    _with_sla(page)
    return _render(request, "reports/queue.html", {"page": page}, section="queue")


def _late_counts(qs: QuerySet[Report], now: dt.datetime) -> dict:
    soon = now + dt.timedelta(minutes=10)
    ack_pending = Q(acknowledged_at__isnull=True)
    scene_pending = Q(
        acknowledged_at__isnull=False, on_scene_at__isnull=True, scene_due_at__isnull=False
    )
    late = (ack_pending & Q(ack_due_at__lt=now)) | (scene_pending & Q(scene_due_at__lt=now))
    due_soon = (ack_pending & Q(ack_due_at__gte=now, ack_due_at__lte=soon)) | (
        scene_pending & Q(scene_due_at__gte=now, scene_due_at__lte=soon)
    )
    return qs.aggregate(
        total=Count("pk"),
        late=Count("pk", filter=late),
        due_soon=Count("pk", filter=due_soon),
        urgent=Count("pk", filter=Q(urgency=Urgency.URGENT)),
    )


@role_required(*HANDLERS)
@require_GET
def board(request: HttpRequest) -> HttpResponse:
    """The Kapolsek's board: open reports by status, with SLA state and urgency;
    for Polres roles also the triage queue of reports not located yet."""
    user = request.user
    now = timezone.now()
    form = forms.BoardFilterForm(request.GET, user=user)
    base = form.apply(_open(visible_reports(user)))
    show_triage = has_role(user, *POLRES_ROLES)
    working = base.filter(kelurahan__isnull=False) if show_triage else base
    order = (_urgent_first(), "ack_due_at", "pk")
    counts = dict(working.order_by().values_list("status").annotate(n=Count("pk")))
    columns = []
    for status in BOARD_COLUMNS:
        cards = list(_rows(working.filter(status=status)).order_by(*order)[:BOARD_COLUMN_LIMIT])
        _with_sla(cards, now)
        n = counts.get(status, 0)
        columns.append(
            {
                "status": status,
                "label": Status(status).label,
                "cards": cards,
                "count": n,
                "more": max(0, n - len(cards)),
            }
        )
    triage = None
    if show_triage:
        rows = list(_rows(base.filter(kelurahan__isnull=True)).order_by(*order)[: TRIAGE_LIMIT + 1])
        triage = {"rows": _with_sla(rows[:TRIAGE_LIMIT], now), "more": len(rows) > TRIAGE_LIMIT}
    ctx = {
        "form": form,
        "columns": columns,
        "triage": triage,
        "summary": _late_counts(base, now),
    }
    return _render(request, "reports/board.html", ctx, section="board")


@role_required(*HANDLERS)
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """Every report in scope, archived and merged ones included."""
    user = request.user
    form = forms.SearchForm(request.GET, user=user)
    qs = _rows(form.apply(visible_reports(user))).order_by("-received_at", "-pk")
    page = _page(request, qs)
    _with_sla(page)
    return _render(request, "reports/search.html", {"form": form, "page": page}, section="search")


# --- staff: the 110 operator ----------------------------------------------------


@role_required(*OPERATOR_ROLES)
@require_http_methods(["GET", "POST"])
def operator(request: HttpRequest) -> HttpResponse:
    user = request.user
    status = 200
    saved = None
    if request.method == "POST":
        form = forms.OperatorForm(request.POST, user=user)
        if form.is_valid():
            try:
                report = actions.create_report(form.to_input(), actor=user)
            except actions.ReportError as exc:
                _form_errors(form, exc, OPERATOR_ERROR_ALIASES)
            else:
                return redirect(f"{reverse('reports:operator')}?saved={report.pk}")
        status = 422
    else:
        form = forms.OperatorForm(initial={"client_key": new_client_key()}, user=user)
        if (pk := parse_id(request.GET.get("saved", ""))) is not None:
            saved = (
                visible_reports(user)
                .filter(pk=pk, created_by=user)
                .select_related("kelurahan__parent", "polsek", "assigned_officer", "merged_into")
                .defer("kelurahan__geometry", "kelurahan__parent__geometry")
                .first()
            )
            if saved is not None:
                saved.sla = saved.sla_state()
    recent = list(
        _rows(visible_reports(user).filter(created_by=user)).order_by("-received_at", "-pk")[
            :RECENT_ENTRIES
        ]
    )
    ctx = {
        "form": form,
        "saved": saved,
        "recent": _with_sla(recent),
        "categories": [(i, value, label) for i, (value, label) in enumerate(Category.choices, 1)],
    }
    return _render(request, "reports/operator.html", ctx, section="operator", status=status)


@role_required(*HANDLERS)
@require_GET
def kelurahan_search(request: HttpRequest) -> JsonResponse:
    """Kelurahan by name or code for autocompletion: the user's territory, or
    with ``wide=1`` (re-routing) any kelurahan, as names and codes are public."""
    q = (request.GET.get("q") or "").strip()[:60]
    if len(q) < 2:
        return JsonResponse({"results": []})
    base = (
        Wilayah.objects.all() if request.GET.get("wide") == "1" else visible_wilayah(request.user)
    )
    rows = (
        base.filter(level=Level.KELURAHAN)
        .filter(Q(nama__icontains=q) | Q(kode__startswith=q))
        .annotate(
            rank=Case(
                When(nama__istartswith=q, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("rank", "nama", "kode")
        .values("kode", "nama", "parent__nama")[:10]
    )
    results = [
        {"kode": r["kode"], "nama": r["nama"], "kecamatan": r["parent__nama"] or ""} for r in rows
    ]
    return JsonResponse({"results": results})


# --- staff: the report page -------------------------------------------------------


def _nearby(user: User, r: Report) -> list[Report]:
    """Open reports of the same category close by: within NEARBY_METRES of the
    point, or in the same kelurahan when there is no point."""
    qs = _open(visible_reports(user)).filter(category=r.category).exclude(pk=r.pk)
    if r.lat is not None and r.lon is not None:
        d = NEARBY_METRES / 111_000 * 1.5  # a generous box first, then the real distance
        qs = qs.filter(lat__range=(r.lat - d, r.lat + d), lon__range=(r.lon - d, r.lon + d))
        rows = list(_rows(qs).order_by("-received_at")[:200])
        out = []
        for o in rows:
            o.distance_m = haversine_m(r.lat, r.lon, o.lat, o.lon)
            if o.distance_m <= NEARBY_METRES:
                out.append(o)
        return sorted(out, key=lambda o: o.distance_m)[:NEARBY_LIMIT]
    if r.kelurahan_id:
        rows = list(
            _rows(qs.filter(kelurahan_id=r.kelurahan_id)).order_by("-received_at")[:NEARBY_LIMIT]
        )
        for o in rows:
            o.distance_m = None
        return rows
    return []


def _detail_page(
    request: HttpRequest,
    r: Report,
    *,
    bound: dict | None = None,
    identity: dict | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    bound = bound or {}
    offered = allowed_actions(user, r)
    for action in bound:
        if action not in offered:
            offered.append(action)  # show the error of a form that no longer applies
    action_forms = [
        {
            "action": a,
            "title": ACTION_TITLES[a],
            "form": bound.get(a) or forms.ACTION_FORMS[a](user=user, report=r),
            "open": a in bound,
        }
        for a in offered
    ]
    labels = dict(Status.choices)
    events = r.timeline()
    for e in events:
        e.from_label = labels.get(e.from_status, e.from_status)
        e.to_label = labels.get(e.to_status, e.to_status)
    visible = visible_reports(user)
    case = (
        visible.filter(pk=r.merged_into_id).only("pk", "ticket", "status").first()
        if r.merged_into_id
        else None
    )
    merged = list(visible.filter(merged_into=r).only("pk", "ticket", "status", "received_at"))
    r.sla = r.sla_state()
    r.sla_label = SLA_LABELS.get(r.sla, r.sla)
    r.due = r.pending_due()
    ctx = {
        "r": r,
        "events": events,
        "photos": list(r.photos.order_by("is_proof", "created_at", "pk")),
        "case": case,
        "merged_into_ticket": r.merged_into.ticket if r.merged_into_id else "",
        "merged": merged,
        "nearby": _nearby(user, r),
        "action_forms": action_forms,
        "can_see_reporter": not r.anonymous and can_see_reporter(user, r),
        "identity": identity,
        "map_data": {
            "point": [r.lat, r.lon] if r.lat is not None and r.lon is not None else None,
            "outline": _point_feature(r.kelurahan),
        },
    }
    response = _render(request, "reports/detail.html", ctx, section="detail", status=status)
    if identity is not None:
        response["Cache-Control"] = "no-store"
    return response


@role_required(*HANDLERS)
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail_page(request, _report_or_404(request.user, pk))


@role_required(*HANDLERS)
@require_POST
def reporter(request: HttpRequest, pk: int) -> HttpResponse:
    """Reveal the reporter's name and contact (audited by the action) on the
    report page. A POST, so that neither a link nor a prefetch shows them."""
    user = request.user
    r = _report_or_404(user, pk)
    try:
        identity = actions.reporter_identity(user, r)
    except actions.NotAllowed as exc:
        raise PermissionDenied(str(exc)) from None
    return _detail_page(request, r, identity=identity)


def _perform(user: User, r: Report, action: str, d: dict) -> Report | None:
    if action == "verify":
        return actions.do_verify(user, r, d["note"])
    if action == "reject":
        return actions.do_reject(user, r, d["reason"])
    if action == "follow_up":
        return actions.do_follow_up(user, r, d["officer"], d["note"])
    if action == "on_scene":
        return actions.do_on_scene(user, r, d["note"])
    if action == "resolve":
        return actions.do_resolve(user, r, d["note"], d["proof"])
    if action == "note":
        actions.do_add_note(user, r, d["note"], public=d["public"])
        return r
    if action == "reroute":
        return actions.do_reroute(
            user, r, kelurahan=d["kelurahan"] or None, polsek=d.get("polsek"), reason=d["reason"]
        )
    if action == "handoff":
        return actions.do_handoff(user, r, d["agency"], d["detail"], d["note"])
    if action == "agency_accepted":
        return actions.do_agency_accepted(user, r, d["note"])
    if action == "merge":
        code = actions.normalise_ticket(d["into_ticket"])
        into = visible_reports(user).filter(ticket=code).first() if code else None
        if into is None:
            raise actions.ReportError({"into_ticket": _("No such ticket in your territory.")})
        return actions.do_merge(user, r, into, d["note"])
    if action == "unmerge":
        return actions.do_unmerge(user, r, d["note"])
    raise Http404(action)


@role_required(*HANDLERS)
@require_POST
def act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = request.user
    form_class = forms.ACTION_FORMS.get(action)
    if form_class is None:
        raise Http404(_("Unknown action"))
    r = _report_or_404(user, pk, write=True)
    if not role_allows(user, action):
        raise PermissionDenied(_("Your role does not do this on reports."))
    form = form_class(request.POST, request.FILES, user=user, report=r)
    if not r.allows(action):
        form.is_valid()
        form.add_error(
            None,
            _("This is no longer possible: the report is now “%(status)s”.")
            % {"status": r.get_status_display()},
        )
    elif form.is_valid():
        try:
            _perform(user, r, action, form.cleaned_data)
        except actions.ReportError as exc:
            _form_errors(form, exc)
        except actions.NotInScope:
            raise Http404(_("No such report in your territory")) from None
        except actions.NotAllowed as exc:
            raise PermissionDenied(str(exc)) from None
        else:
            messages.success(request, ACTION_DONE[action])
            if not visible_reports(user).filter(pk=r.pk).exists():
                messages.info(request, _("The report has left your territory."))
                return redirect("reports:queue")
            return redirect("reports:detail", r.pk)
    return _detail_page(request, r, bound={action: form}, status=422)


@role_required(*HANDLERS)
@require_GET
def photo(request: HttpRequest, pk: int) -> FileResponse:
    p = (
        ReportPhoto.objects.filter(pk=pk, report__in=visible_reports(request.user).values("pk"))
        .only("image")
        .first()
    )
    if p is None or not p.image:
        raise Http404(_("No such photo in your territory"))
    try:
        handle = p.image.open("rb")
    except FileNotFoundError:
        raise Http404(_("Photo file missing")) from None
    response = FileResponse(handle, content_type="image/jpeg")
    # Private to the logged-in user: shared caches must not keep it.
    response["Cache-Control"] = "private, max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- staff: notifications ---------------------------------------------------------


@login_required
@require_GET
def notifications(request: HttpRequest) -> HttpResponse:
    qs = (
        Notification.objects.filter(user=request.user)
        .select_related("report")
        .only("id", "kind", "text", "created_at", "read_at", "report__id", "report__ticket")
        .order_by(F("read_at").asc(nulls_first=True), "-created_at", "-pk")
    )
    page = _page(request, qs)
    return _render(request, "reports/notifications.html", {"page": page}, section="notifications")


@login_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    qs = Notification.objects.filter(user=request.user, read_at__isnull=True)
    if request.POST.get("all") != "1":
        ids = [pk for i in request.POST.getlist("id") if (pk := parse_id(i)) is not None]
        qs = qs.filter(pk__in=ids)
    qs.update(read_at=timezone.now())
    report = parse_id(request.POST.get("report", ""))
    if report is not None:
        return redirect("reports:detail", report)
    return redirect("reports:notifications")


# --- public: the resident's pages (/lapor/) -------------------------------------------


def public_outlines() -> dict | None:
    """Kelurahan outlines of the territory the police units cover, for the
    resident's map (public administrative boundaries). None when too many."""
    key = "reports:public-outlines:v1"
    hit = cache.get(key)
    if hit is not None:
        return hit or None
    prefixes = set(
        PoliceUnit.wilayah.through.objects.filter(
            policeunit__kind__in=[UnitKind.POLRES, UnitKind.POLSEK]
        ).values_list("wilayah_id", flat=True)
    )
    q = Q(pk__in=[])
    for p in sorted(prefixes):
        low, high = kode_range(p)
        q |= Q(kode=p) | Q(kode__gte=low, kode__lt=high)
    rows = list(
        Wilayah.objects.filter(q, level=Level.KELURAHAN, geometry__isnull=False)
        .order_by("kode")
        .values_list("kode", "nama", "parent__nama", "geometry")[: PUBLIC_OUTLINE_LIMIT + 1]
    )
    value: dict = {}
    if rows and len(rows) <= PUBLIC_OUTLINE_LIMIT:
        value = {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "geometry": g,
                    "properties": {"kode": k, "nama": n, "kec": kec or ""},
                }
                for k, n, kec, g in rows
            ],
        }
    cache.set(key, value, PUBLIC_OUTLINE_CACHE_SECONDS)
    return value or None


def _ticket_url(ticket: str) -> str:
    return reverse("lapor:ticket", args=[ticket])


def _public(request: HttpRequest, template: str, ctx: dict, status: int = 200) -> HttpResponse:
    return render(request, template, ctx, status=status)


def _too_many(request: HttpRequest, message: str) -> HttpResponse:
    return _public(request, "reports/public_limited.html", {"message": message}, status=429)


@never_cache  # the form carries a fresh client_key: a shared cache must never serve it twice
@require_http_methods(["GET", "POST"])
def public_form(request: HttpRequest) -> HttpResponse:
    status = 200
    limit_message = ""
    if request.method == "POST":
        form = forms.PublicReportForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            # A second press of "send" (or a retry after a lost answer) carries
            # the same key: show the ticket made the first time.
            done = Report.objects.filter(client_key=data["client_key"]).only("ticket").first()
            if done is not None:
                return redirect(_ticket_url(done.ticket))
            contact = "" if data["anonymous"] else data["reporter_contact"]
            if limited(request, contact):
                limit_message = LIMIT_MESSAGE
                status = 429
            else:
                try:
                    report = actions.create_report(form.to_input())
                except actions.ReportError as exc:
                    _form_errors(form, exc)
                    if form.has_error("photos"):
                        form.add_error(
                            "photos",
                            _("Send photos as JPEG, PNG or WebP, at most 10 MB each."),
                        )
                else:
                    return redirect(_ticket_url(report.ticket) + "?baru=1")
        if status == 200:
            status = 422
    else:
        form = forms.PublicReportForm(initial={"client_key": new_client_key()})
    ctx = {
        "form": form,
        "limit_message": limit_message,
        "map_data": {"outlines": public_outlines()},
        "max_photos": forms.MAX_PHOTOS,
    }
    return _public(request, "reports/public_form.html", ctx, status=status)


@never_cache
@require_GET
def public_check(request: HttpRequest) -> HttpResponse:
    form = forms.TicketForm(request.GET or None)
    if request.GET:
        if form.is_valid():
            return redirect(_ticket_url(form.cleaned_data["tiket"]))
        return _public(request, "reports/public_check.html", {"form": form}, status=422)
    return _public(request, "reports/public_check.html", {"form": form})


def _public_report(ticket: str) -> Report | None:
    code = actions.normalise_ticket(ticket)
    if code is None:
        return None
    return Report.objects.filter(ticket=code).select_related("kelurahan", "merged_into").first()


def _status_page(
    request: HttpRequest,
    report: Report,
    *,
    rate_form=None,
    reopen_form=None,
    status: int = 200,
) -> HttpResponse:
    view = actions.public_view(report)
    for e in view["events"]:
        e["at"] = dt.datetime.fromisoformat(e["at"])
    view["received_at"] = dt.datetime.fromisoformat(view["received_at"])
    ctx = {
        "v": view,
        "new": request.GET.get("baru") == "1",
        "done": request.GET.get("ok", ""),
        "rate_form": rate_form or (forms.RateForm() if view["can_rate"] else None),
        "reopen_form": reopen_form or (forms.ReopenForm() if view["can_reopen"] else None),
        "whatsapp": _setting("SEJUK_WHATSAPP_DISPLAY_NUMBER"),
        "telegram": _setting("SEJUK_TELEGRAM_BOT_USERNAME"),
        "check_form": forms.TicketForm(),
    }
    return _public(request, "reports/public_ticket.html", ctx, status=status)


def _setting(name: str) -> str:
    return str(getattr(settings, name, "") or "")


def _unknown_ticket(request: HttpRequest, typed: str) -> HttpResponse:
    form = forms.TicketForm({"tiket": typed})
    form.is_valid()
    return _public(
        request, "reports/public_check.html", {"form": form, "not_found": True}, status=404
    )


@never_cache
@require_GET
def public_ticket(request: HttpRequest, ticket: str) -> HttpResponse:
    if lookup_limited(request):
        return _too_many(request, LOOKUP_LIMIT_MESSAGE)
    code = actions.normalise_ticket(ticket)
    if code is not None and code != ticket:
        query = f"?{request.GET.urlencode()}" if request.GET else ""
        return redirect(_ticket_url(code) + query)
    report = _public_report(ticket)
    if report is None:
        return _unknown_ticket(request, ticket)
    return _status_page(request, report)


@never_cache
@require_POST
def public_rate(request: HttpRequest, ticket: str) -> HttpResponse:
    if lookup_limited(request):
        return _too_many(request, LOOKUP_LIMIT_MESSAGE)
    report = _public_report(ticket)
    if report is None:
        return _unknown_ticket(request, ticket)
    form = forms.RateForm(request.POST)
    if form.is_valid():
        try:
            actions.do_rate(report, form.cleaned_data["rating"], form.cleaned_data["comment"])
        except actions.ReportError as exc:
            _form_errors(form, exc)
        else:
            return redirect(_ticket_url(report.ticket) + "?ok=rated")
    return _status_page(request, report, rate_form=form, status=422)


@never_cache
@require_POST
def public_reopen(request: HttpRequest, ticket: str) -> HttpResponse:
    if lookup_limited(request):
        return _too_many(request, LOOKUP_LIMIT_MESSAGE)
    report = _public_report(ticket)
    if report is None:
        return _unknown_ticket(request, ticket)
    form = forms.ReopenForm(request.POST)
    if form.is_valid():
        try:
            actions.do_reopen(report, form.cleaned_data["reason"])
        except actions.ReportError as exc:
            _form_errors(form, exc)
        else:
            return redirect(_ticket_url(report.ticket) + "?ok=reopened")
    report.refresh_from_db()
    return _status_page(request, report, reopen_form=form, status=422)

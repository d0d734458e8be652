"""Desktop pages for patrol plans under /patrol/ (docs/patrol.md).

Thin function views: queries go through ``sejuk.patrol.access`` (out of scope is
404), writes through ``sejuk.patrol.actions``; generating many plans runs in the
worker (``tasks.generate_plans``).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sejuk.accounts.access import get_in_scope, role_required
from sejuk.accounts.models import Role, User
from sejuk.fieldwork.access import visible_titik
from sejuk.patrol import access, actions, forms, tasks
from sejuk.patrol.coverage import coverage_report
from sejuk.patrol.models import PatrolPlan, PlanStop, ScheduledEvent

READERS = access.PLAN_READERS
EVENT_PAGE_LIMIT = 200


def _render(request: HttpRequest, template: str, ctx: dict, *, section: str, status: int = 200):
    user = request.user
    ctx["pt"] = {
        "section": section,
        "can_edit": access.can_edit_plans(user),
        "can_write_events": access.can_write_events(user),
        "is_officer": user.role == Role.BHABINKAMTIBMAS,
    }
    return render(request, template, ctx, status=status)


def _errors_text(exc: actions.PatrolError) -> str:
    return " ".join(str(v) for v in exc.errors.values())


# --- plans --------------------------------------------------------------------------


@role_required(*READERS)
@require_GET
def plan_list(request: HttpRequest) -> HttpResponse:
    """The plans of a day: the officer's own, or the sector's for the Kapolsek."""
    user: User = request.user
    form = forms.DayForm(request.GET, user=user)
    day = form.day_value
    plans = access.visible_plans(user).filter(day=day).select_related("officer", "kelurahan")
    if kel := form.value("kelurahan"):
        plans = plans.filter(Q(kelurahan_id=kel) | Q(officer__kelurahan__kode=kel)).distinct()
    plans = plans.annotate(
        n_routed=Count("stops", filter=Q(stops__sequence__isnull=False)),
        n_done=Count(
            "stops", filter=Q(stops__sequence__isnull=False, stops__done_at__isnull=False)
        ),
    ).order_by("kelurahan__nama", "officer__name")
    if user.role == Role.BHABINKAMTIBMAS and not form.value("day") and plans.count() == 1:
        # The officer's landing: straight to today's plan.
        return redirect("patrol:plan", plans.first().pk)
    unplanned = []
    if user.role != Role.BHABINKAMTIBMAS:
        planned = plans.values("officer_id")
        officers = actions.plannable_officers(user)
        if kel:
            officers = officers.filter(kelurahan__kode=kel)
        unplanned = list(officers.exclude(pk__in=planned).order_by("name")[:200])
    ctx = {
        "form": form,
        "day": day,
        "plans": plans,
        "unplanned": unplanned,
        "generate_form": forms.GenerateForm(initial={"day": day}),
        "today": timezone.localdate(),
    }
    return _render(request, "patrol/plan_list.html", ctx, section="plans")


@role_required(*access.PLAN_EDITORS)
@require_POST
def plan_generate(request: HttpRequest) -> HttpResponse:
    """Queue plan generation for the officers of the user's sector (runs in the worker)."""
    user: User = request.user
    form = forms.GenerateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid day."))
        return redirect("patrol:plans")
    day = form.cleaned_data["day"]
    if day < timezone.localdate():
        messages.error(request, _("Plans are made for today or later."))
        return redirect(f"{reverse('patrol:plans')}?day={day.isoformat()}")
    ids = list(actions.plannable_officers(user).values_list("pk", flat=True))
    if not ids:
        messages.error(request, _("No officer with a kelurahan in your territory."))
    else:
        tasks.generate_plans.enqueue(day.isoformat(), officer_ids=ids, user_id=user.pk)
        messages.success(
            request,
            _("Planning %(n)s officers for %(day)s in the background; reload in a minute.")
            % {"n": len(ids), "day": day.strftime("%d-%m-%Y")},
        )
    return redirect(f"{reverse('patrol:plans')}?day={day.isoformat()}")


def _map_data(plan: PatrolPlan, stops: list[PlanStop]) -> dict:
    def local(t):
        return timezone.localtime(t).strftime("%H:%M") if t else None

    return {
        "start": {"lat": plan.start_lat, "lon": plan.start_lon, "label": plan.start_label},
        "end": {"lat": plan.end_lat, "lon": plan.end_lon, "label": plan.end_label},
        "stops": [
            {
                "id": s.pk,
                "seq": s.sequence,
                "name": s.name,
                "lat": s.lat,
                "lon": s.lon,
                "start": local(s.start_at),
                "done": s.done_at is not None,
                "must": s.must_visit,
                "removed": s.removed,
            }
            for s in stops
        ],
    }


@role_required(*READERS)
@require_GET
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user
    plan = access.get_plan_for_user(user, pk)
    stops = list(plan.stops.select_related("titik", "event", "activity"))
    routed = [s for s in stops if s.sequence is not None]
    others = [s for s in stops if s.sequence is None]
    ctx = {
        "plan": plan,
        "routed": routed,
        "others": others,
        "map_data": _map_data(plan, stops),
        "can_edit": access.can_edit_plan(user, plan),
        "can_mark_done": access.can_mark_done(user, plan) and plan.day == timezone.localdate(),
        "replan_form": forms.ReplanForm(
            initial={
                "shift_start": plan.shift_start,
                "shift_end": plan.shift_end,
                "mode": plan.mode,
            }
        ),
        "done": sum(1 for s in routed if s.done_at),
        "today": timezone.localdate(),
    }
    return _render(request, "patrol/plan_detail.html", ctx, section="plans")


@role_required(*access.PLAN_EDITORS)
@require_POST
def plan_replan(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user
    plan = access.get_plan_for_user(user, pk)
    form = forms.ReplanForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(" ".join(e) for e in form.errors.values()))
        return redirect("patrol:plan", plan.pk)
    shift = {k: v for k, v in form.cleaned_data.items() if v}
    try:
        actions.do_replan(user, plan, **shift)
    except actions.NotAllowed as exc:
        raise PermissionDenied(str(exc)) from None
    except actions.PatrolError as exc:
        messages.error(request, _errors_text(exc))
    else:
        messages.success(request, _("Plan recomputed."))
    return redirect("patrol:plan", plan.pk)


@role_required(*access.PLAN_EDITORS)
@require_POST
def stop_directive(request: HttpRequest, pk: int, directive: str) -> HttpResponse:
    user: User = request.user
    stop = access.get_stop_for_user(user, pk)
    if directive not in actions.DIRECTIVES:
        raise Http404("No such directive")
    try:
        actions.do_set_directive(user, stop, directive)
    except actions.NotAllowed as exc:
        raise PermissionDenied(str(exc)) from None
    except actions.PatrolError as exc:
        messages.error(request, _errors_text(exc))
    else:
        messages.success(request, _("Saved. Re-plan to apply the change."))
    return redirect("patrol:plan", stop.plan_id)


@role_required(Role.BHABINKAMTIBMAS, *access.PLAN_EDITORS)
@require_POST
def stop_done(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user
    stop = access.get_stop_for_user(user, pk)
    try:
        stop = actions.do_mark_stop_done(user, stop)
    except actions.NotAllowed as exc:
        raise PermissionDenied(str(exc)) from None
    except actions.NotInScope:
        raise Http404("No such stop in your territory") from None
    except actions.PatrolError as exc:
        messages.error(request, _errors_text(exc))
    else:
        messages.success(request, _("Stop marked done and written to the field log."))
    return redirect("patrol:plan", stop.plan_id)


# --- events -------------------------------------------------------------------------


@role_required(*READERS)
@require_GET
def event_list(request: HttpRequest) -> HttpResponse:
    user: User = request.user
    form = forms.DayForm(request.GET, user=user)
    events = access.visible_events(user).select_related("kelurahan", "titik")
    if form.value("day"):
        events = events.filter(day=form.value("day"))
    else:
        events = events.filter(day__gte=timezone.localdate())
    if kel := form.value("kelurahan"):
        events = events.filter(kelurahan_id=kel)
    ctx = {"form": form, "events": events.order_by("day", "starts_at", "pk")[:EVENT_PAGE_LIMIT]}
    return _render(request, "patrol/event_list.html", ctx, section="events")


@role_required(*access.EVENT_WRITERS)
@require_http_methods(["GET", "POST"])
def event_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user: User = request.user
    event = get_in_scope(ScheduledEvent.objects.all(), user, pk) if pk else None
    if event is not None and not access.may_write_event_in(user, event.kelurahan_id):
        raise Http404("Not found in your territory")
    form = forms.EventForm(request.POST or None, instance=event, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            saved = actions.do_save_event(user, form.instance)
        except actions.NotAllowed as exc:
            raise PermissionDenied(str(exc)) from None
        except actions.NotInScope:
            raise Http404("Not found in your territory") from None
        except actions.PatrolError as exc:
            for name, message in exc.errors.items():
                form.add_error(name if name in form.fields else None, message)
        else:
            messages.success(
                request, _("Event saved. Plans of that day are marked for re-planning.")
            )
            return redirect(f"{reverse('patrol:events')}?day={saved.day.isoformat()}")
    status = 422 if request.method == "POST" else 200
    return _render(
        request,
        "patrol/event_form.html",
        {"form": form, "event": event},
        section="events",
        status=status,
    )


@role_required(*access.EVENT_WRITERS)
@require_POST
def event_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user
    event = get_in_scope(ScheduledEvent.objects.all(), user, pk)
    try:
        actions.do_delete_event(user, event)
    except actions.NotInScope:
        raise Http404("Not found in your territory") from None
    messages.success(request, _("Event deleted."))
    return redirect("patrol:events")


# --- coverage -----------------------------------------------------------------------


@role_required(*READERS)
@require_GET
def coverage(request: HttpRequest) -> HttpResponse:
    user: User = request.user
    form = forms.CoverageForm(request.GET, user=user)
    titik = visible_titik(user)
    plans = access.visible_plans(user)
    if kel := form.value("kelurahan"):
        titik = titik.filter(kelurahan_id=kel)
        plans = plans.filter(kelurahan_id=kel)
    if user.role == Role.BHABINKAMTIBMAS and user.officer_id:
        titik = titik.filter(kelurahan__officers=user.officer_id)
    report = coverage_report(
        titik, plans, form.start_day, form.n_days, revisit_days=form.revisit_days
    )
    ctx = {"form": form, "report": report, "totals": report.plans_total()}
    return _render(request, "patrol/coverage.html", ctx, section="coverage")

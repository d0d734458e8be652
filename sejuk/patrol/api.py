"""JSON API for patrol plans: /api/v1/patrol/… (docs/patrol.md).

Errors follow the rest of the API: 422 with field messages for bad input, 404 for
anything outside the caller's role or territory, 403 for a role that may see but
not do.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.http import Http404
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from sejuk.fieldwork.access import visible_titik
from sejuk.patrol import access, actions, tasks
from sejuk.patrol.coverage import MAX_DAYS, MAX_REVISIT_DAYS, PeriodError, coverage_report
from sejuk.patrol.models import PatrolPlan, PlanStop

router = Router(tags=["patrol"])


class Message(Schema):
    detail: str


class DoneIn(Schema):
    client_uuid: uuid.UUID | None = None
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    accuracy_m: float | None = Field(None, ge=0, le=100_000)
    at: dt.datetime | None = None
    notes: str = Field("", max_length=2000)


class DirectiveIn(Schema):
    directive: str


class ReplanIn(Schema):
    shift_start: dt.time | None = None
    shift_end: dt.time | None = None
    mode: str | None = None
    seed: int = Field(0, ge=0, le=2**31 - 1)


class GenerateIn(Schema):
    day: dt.date


def _local(value: dt.datetime | None) -> str | None:
    return timezone.localtime(value).isoformat() if value else None


def _hm(value: dt.datetime | None) -> str | None:
    return timezone.localtime(value).strftime("%H:%M") if value else None


def stop_out(s: PlanStop) -> dict:
    return {
        "id": s.pk,
        "sequence": s.sequence,
        "titik_id": s.titik_id,
        "event_id": s.event_id,
        "name": s.name,
        "lat": s.lat,
        "lon": s.lon,
        "arrive_at": _local(s.arrive_at),
        "start_at": _local(s.start_at),
        "depart_at": _local(s.depart_at),
        "start": _hm(s.start_at),
        "end": _hm(s.depart_at),
        "windows": s.windows,
        "service_minutes": s.service_minutes,
        "prize": round(s.prize, 4),
        "must_visit": s.must_visit,
        "reason": s.reason,
        "days_since_visit": s.days_since_visit,
        "pinned": s.pinned,
        "locked": s.locked,
        "removed": s.removed,
        "done": s.done_at is not None,
        "done_at": _local(s.done_at),
        "activity_id": s.activity_id,
        "visit_id": s.visit_id,
    }


def plan_out(p: PatrolPlan, *, stops: bool = True) -> dict:
    out = {
        "id": p.pk,
        "day": p.day.isoformat(),
        "officer": {"id": p.officer_id, "name": str(p.officer)},
        "kelurahan": p.kelurahan_id,
        "shift_start": p.shift_start.strftime("%H:%M"),
        "shift_end": p.shift_end.strftime("%H:%M"),
        "start": {"lat": p.start_lat, "lon": p.start_lon, "label": p.start_label},
        "end": {"lat": p.end_lat, "lon": p.end_lon, "label": p.end_label},
        "mode": p.mode,
        "revisit_days": p.revisit_days,
        "source": p.source,
        "revision": p.revision,
        "generated_at": _local(p.generated_at),
        "prize_planned": round(p.prize_planned, 4),
        "prize_available": round(p.prize_available, 4),
        "feasible": p.feasible,
        "needs_replan": p.needs_replan,
        "warnings": p.warnings,
    }
    if stops:
        rows = list(p.stops.all())
        out["stops"] = [stop_out(s) for s in rows if s.sequence is not None]
        out["not_routed"] = [stop_out(s) for s in rows if s.sequence is None]
    return out


# The plan and stop endpoints need no role check of their own: ``get_plan_for_user``
# and ``get_stop_for_user`` only find the plans the caller's role may read (else 404).
def _require_reader(user) -> None:
    if not access.can_read_plans(user):
        raise Http404("Not available for your role")


@router.get("/patrol/plans", summary="Plans of a day visible to the caller")
def list_plans(request, day: dt.date | None = None, kelurahan: str | None = None):
    user = request.auth
    _require_reader(user)
    qs = access.visible_plans(user).filter(day=day or timezone.localdate())
    if kelurahan:
        qs = qs.filter(kelurahan_id=kelurahan)
    qs = qs.select_related("officer").order_by("officer__name", "pk")[:500]
    return {"plans": [plan_out(p, stops=False) for p in qs]}


@router.get("/patrol/plans/{plan_id}", summary="One plan with its stops in route order")
def get_plan(request, plan_id: int):
    return plan_out(access.get_plan_for_user(request.auth, plan_id))


@router.get(
    "/patrol/today",
    summary="The caller's own plan for today (what the phone caches for offline use)",
)
def my_plan(request, day: dt.date | None = None):
    user = request.auth
    day = day or timezone.localdate()
    plan = None
    if access.can_read_plans(user) and user.officer_id is not None:
        plan = (
            access.visible_plans(user)
            .filter(officer_id=user.officer_id, day=day)
            .select_related("officer")
            .first()
        )
    return {
        "day": day.isoformat(),
        "user": {"username": user.username},
        "generated_at": timezone.now().isoformat(),
        "plan": plan_out(plan) if plan else None,
    }


@router.post(
    "/patrol/stops/{stop_id}/done",
    response={200: dict, 403: Message, 404: Message},
    summary="Mark a stop done: links (or writes) the field log entry; idempotent",
)
def mark_done(request, stop_id: int, payload: DoneIn):
    stop = access.get_stop_for_user(request.auth, stop_id)
    return stop_out(actions.do_mark_stop_done(request.auth, stop, **payload.dict()))


@router.post(
    "/patrol/stops/{stop_id}/directive",
    response={200: dict, 403: Message, 404: Message},
    summary="Pin, unpin, lock, unlock, remove or restore a stop (applied by the next re-plan)",
)
def set_directive(request, stop_id: int, payload: DirectiveIn):
    stop = access.get_stop_for_user(request.auth, stop_id)
    return stop_out(actions.do_set_directive(request.auth, stop, payload.directive))


@router.post(
    "/patrol/plans/{plan_id}/replan",
    response={200: dict, 403: Message, 404: Message},
    summary="Re-plan one officer's day now, respecting pins, locks and removals",
)
def replan(request, plan_id: int, payload: ReplanIn):
    plan = access.get_plan_for_user(request.auth, plan_id)
    shift = {k: v for k, v in payload.dict(exclude={"seed"}).items() if v}
    return plan_out(actions.do_replan(request.auth, plan, seed=payload.seed, **shift))


@router.post(
    "/patrol/generate",
    response={202: dict, 403: Message, 404: Message},
    summary="Queue plan generation for a day for the officers of the caller's territory",
)
def generate(request, payload: GenerateIn):
    user = request.auth
    _require_reader(user)
    if not access.can_edit_plans(user):
        raise actions.NotAllowed("only the Kapolsek and Polsek staff generate plans")
    if payload.day < timezone.localdate():
        raise actions.PatrolError({"day": "plans are made for today or later"})
    ids = list(actions.plannable_officers(user).values_list("pk", flat=True))
    result = tasks.generate_plans.enqueue(payload.day.isoformat(), officer_ids=ids, user_id=user.pk)
    return Status(202, {"task_id": str(result.id), "officers": len(ids)})


@router.get(
    "/patrol/coverage",
    summary="Covered risk weight per day and period, neglected points, plans vs done",
)
def coverage(
    request,
    start: dt.date | None = None,
    days: int = Query(7, ge=1, le=MAX_DAYS),
    revisit_days: int = Query(7, ge=1, le=MAX_REVISIT_DAYS),
    kelurahan: str | None = None,
):
    user = request.auth
    _require_reader(user)
    start = start or timezone.localdate() - dt.timedelta(days=days - 1)
    titik = visible_titik(user)
    plans = access.visible_plans(user)
    if kelurahan:
        titik = titik.filter(kelurahan_id=kelurahan)
        plans = plans.filter(kelurahan_id=kelurahan)
    try:
        report = coverage_report(titik, plans, start, days, revisit_days=revisit_days)
    except PeriodError as exc:
        raise actions.PatrolError({"start": str(exc)}) from None
    return report.as_dict()

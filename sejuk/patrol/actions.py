"""Writes for patrol planning: generate and re-plan, the Kapolsek's directives, marking
stops done (which writes the field log), scheduled events. Views, the API, the
command and the worker validate input, then call these."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from sejuk.accounts import audit
from sejuk.accounts.access import visible_officers
from sejuk.accounts.models import AuditAction, User
from sejuk.fieldwork import actions as field_actions
from sejuk.fieldwork.models import ActivityKind, Visit
from sejuk.lib.times import as_utc
from sejuk.patrol import access, gather, planning, prize
from sejuk.patrol.models import (
    OfficerPatrolSettings,
    PatrolPlan,
    PlanSource,
    PlanStop,
    ScheduledEvent,
    TravelMode,
)
from sejuk.territory.models import Officer

# Re-used from field work so the API answers 422 / 404 / 403 the same way.
PatrolError = field_actions.FieldworkError
NotInScope = field_actions.NotInScope
NotAllowed = field_actions.NotAllowed

NS_DONE = uuid.UUID("0d6b1c55-7a3e-4f0e-9d5e-5a7e0c0a1e55")


def tomorrow() -> dt.date:
    return timezone.localdate() + dt.timedelta(days=1)


def plannable_officers(user: User | None = None) -> QuerySet[Officer]:
    """Active officers with a kelurahan (the Bhabinkamtibmas), unless switched off;
    with ``user``, only those of the user's territory."""
    off = OfficerPatrolSettings.objects.filter(active=False).values("officer_id")
    officers = Officer.objects.all()
    if user is not None:
        officers = officers.filter(pk__in=visible_officers(user).values("pk"))
    return (
        officers.filter(active=True, kelurahan__isnull=False)
        .exclude(pk__in=off)
        .distinct()
        .select_related("unit")
        .prefetch_related("kelurahan")
    )


# --- generating plans ------------------------------------------------------------


@dataclass
class GenerateResult:
    day: dt.date
    plans: list[PatrolPlan] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return {
            "day": self.day.isoformat(),
            "plans": [
                {
                    "id": p.pk,
                    "officer_id": p.officer_id,
                    "officer": str(p.officer),
                    "stops": p.stops.filter(sequence__isnull=False).count(),
                    "prize_planned": round(p.prize_planned, 3),
                    "prize_available": round(p.prize_available, 3),
                    "feasible": p.feasible,
                    "warnings": p.warnings,
                }
                for p in self.plans
            ],
            "skipped": self.skipped,
            "seconds": round(self.seconds, 2),
        }


def do_generate_plans(
    day: dt.date,
    officers: Iterable[Officer] | None = None,
    *,
    user: User | None = None,
    source: str = PlanSource.ON_DEMAND,
    only_missing: bool = False,
    seed: int = 0,
    time_limit: float | None = None,
    revisit_days: int | None = None,
    from_now: bool = True,
) -> GenerateResult:
    """Plan ``day`` for ``officers`` (default: every plannable officer).

    Officers who share a kelurahan are planned together. An existing plan is re-planned
    in place: its pins, locks and removals are respected and the stops already done
    keep their link to the field log. ``only_missing`` skips officers who already have
    a plan for the day (the evening job, so a re-run changes nothing).

    Planning today (``from_now``, the default) plans the rest of the shift: the stops
    done or locked before now stay as they are, and the route goes on from the last of
    them, or from home, after the current time. Stops done ahead of their planned time
    leave the route (they are done).
    """
    started = timezone.now()
    officers = list(officers if officers is not None else plannable_officers())
    existing = {
        p.officer_id: p
        for p in PatrolPlan.objects.filter(day=day, officer__in=[o.pk for o in officers])
    }
    result = GenerateResult(day=day)
    if only_missing:
        kept = [o for o in officers if o.pk in existing]
        officers = [o for o in officers if o.pk not in existing]
        result.skipped += [f"{o}: already planned" for o in kept]
    settings_of = {
        s.officer_id: s
        for s in OfficerPatrolSettings.objects.filter(officer__in=[o.pk for o in officers])
    }
    inputs: list[planning.OfficerInput] = []
    by_id: dict[int, Officer] = {}
    for o in officers:
        kel = list(o.kelurahan.all())
        if not kel:
            result.skipped.append(f"{o}: no kelurahan assigned")
            continue
        try:
            inputs.append(
                gather.officer_input(
                    o, kelurahan=kel, plan=existing.get(o.pk), settings=settings_of.get(o.pk)
                )
            )
        except ValueError as exc:
            result.skipped.append(str(exc))
            continue
        by_id[o.pk] = o
    # Re-planning today's plan starts from now: what is done or locked before now stays.
    frozen = {
        o.officer_id: _frozen_stops(existing[o.officer_id])
        for o in inputs
        if from_now and o.officer_id in existing and day == timezone.localdate()
    }
    for group in planning.officer_groups(inputs):
        codes = sorted({k for o in group for k in o.kelurahan})
        revisit = revisit_days or max(
            (existing[o.officer_id].revisit_days for o in group if o.officer_id in existing),
            default=prize.DEFAULT_REVISIT_DAYS,
        )
        points = gather.gather_points(codes, day, revisit_days=revisit)
        warnings: list[tuple[str, str]] = []
        for o in group:
            warnings += [
                (f"o{o.officer_id}", w)
                for w in gather.apply_directives(points, existing.get(o.officer_id))
            ]
        if not points:
            warnings.append(
                ("", _("No active titik rawan in this kelurahan: register them first."))
            )
        held = {s.key for o in group for s in frozen.get(o.officer_id, [])}
        solver_group = []
        for o in group:
            rest = _rest_of_day(o, frozen.get(o.officer_id, []), day) if from_now else o
            if rest is None:
                warnings.append((f"o{o.officer_id}", _("The shift is over: nothing re-planned.")))
            else:
                solver_group.append(rest)
        solved = planning.solve(
            solver_group,
            [p for p in points if p.key not in held],
            seed=seed,
            time_limit=time_limit,
        )
        solved.warnings = warnings + solved.warnings
        for o in group:
            plan = _write_plan(
                by_id[o.officer_id],
                o,
                day,
                points,
                solved,
                existing.get(o.officer_id),
                user=user,
                source=source,
                seed=seed,
                revisit_days=revisit,
                frozen=frozen.get(o.officer_id, []),
            )
            result.plans.append(plan)
    result.seconds = (timezone.now() - started).total_seconds()
    return result


def _frozen_stops(plan: PatrolPlan) -> list[PlanStop]:
    """The routed stops of today's plan that are done or locked and start before now."""
    now = timezone.now()
    return [
        s
        for s in plan.routed_stops()
        if s.start_at is not None and s.start_at <= now and (s.done_at or s.locked)
    ]


def _rest_of_day(
    spec: planning.OfficerInput, frozen: Sequence[PlanStop], day: dt.date
) -> planning.OfficerInput | None:
    """The officer's input for the part of today still to plan: from now (or the end
    of the last frozen stop) at that stop's place. None when the shift is over."""
    if day != timezone.localdate():
        return spec
    now = timezone.localtime()
    start = max(spec.shift_start, now.hour * 60 + now.minute + 1)
    where = spec.start
    if frozen:
        last = frozen[-1]
        end = timezone.localtime(last.depart_at or last.start_at)
        start = max(start, end.hour * 60 + end.minute + 1)
        where = (last.lat, last.lon)
    if start == spec.shift_start and not frozen:
        return spec
    if start >= spec.shift_end:
        return None
    return replace(spec, shift_start=start, start=where)


@transaction.atomic
def _write_plan(
    officer: Officer,
    spec: planning.OfficerInput,
    day: dt.date,
    points: list[planning.PointInput],
    solved: planning.SolveResult,
    plan: PatrolPlan | None,
    *,
    user: User | None,
    source: str,
    seed: int,
    revisit_days: int,
    frozen: Sequence[PlanStop] = (),
) -> PatrolPlan:
    tz = timezone.get_default_timezone()
    mine = set(spec.kelurahan)
    # Frozen stops (today, done or locked before now) keep their place and times.
    held = {s.key: (i, s) for i, s in enumerate(frozen, start=1)}
    route = solved.routes.get(spec.officer_id, [])
    routed = {
        r.key: replace(r, sequence=r.sequence + len(held)) for r in route if r.key not in held
    }
    # Points routed to a partner sharing the kelurahan are theirs today.
    partners = {r.key for oid, rs in solved.routes.items() if oid != spec.officer_id for r in rs}
    old = {s.key: s for s in plan.stops.all()} if plan is not None else {}
    if plan is None:
        plan = PatrolPlan(officer=officer, day=day, kelurahan_id=spec.kelurahan[0])
    else:
        plan = PatrolPlan.objects.select_for_update().get(pk=plan.pk)
        plan.revision += 1
    plan.shift_start = planning.clock(spec.shift_start)
    plan.shift_end = planning.clock(spec.shift_end)
    plan.start_lat, plan.start_lon = spec.start
    plan.end_lat, plan.end_lon = spec.end
    plan.start_label, plan.end_label = spec.start_label[:200], spec.end_label[:200]
    plan.mode = spec.mode
    plan.revisit_days = revisit_days
    plan.source = source
    plan.generated_at = timezone.now()
    plan.generated_by = user if user is not None and user.is_authenticated else None
    plan.seed = seed
    plan.solver_seconds = solved.seconds
    plan.prize_planned = solved.prize_planned.get(spec.officer_id, 0.0) + sum(
        s.prize for s in frozen
    )
    own_points = [p for p in points if p.kelurahan in mine and p.key not in partners]
    keys = {p.key for p in own_points} | {f"o{spec.officer_id}", ""}
    plan.prize_available = sum(p.prize for p in own_points if not p.removed)
    plan.feasible = solved.feasible
    plan.warnings = [text for key, text in solved.warnings if key in keys]
    plan.needs_replan = False
    plan.save()

    rows = []
    for p in own_points:
        r = routed.get(p.key)
        prev = old.get(p.key)
        if p.key in held:
            seq, f = held[p.key]
            times = (f.arrive_at or f.start_at, f.start_at, f.depart_at or f.start_at)
            r = planning.RoutedStop(p.key, seq, *(_minutes_of(t) for t in times))
        rows.append(
            PlanStop(
                plan=plan,
                titik_id=p.titik_id,
                event_id=p.event_id,
                name=p.name[:200],
                lat=p.lat,
                lon=p.lon,
                sequence=r.sequence if r else None,
                arrive_at=planning.at_minutes(day, r.arrive, tz) if r else None,
                start_at=planning.at_minutes(day, r.start, tz) if r else None,
                depart_at=planning.at_minutes(day, r.depart, tz) if r else None,
                windows=gather.windows_text(p),
                service_minutes=p.service_minutes,
                prize=round(p.prize, 6),
                must_visit=p.must_visit,
                reason=p.reason,
                days_since_visit=p.days_since,
                pinned=p.pinned,
                locked=bool(prev and prev.locked and r),
                removed=p.removed,
                visit_id=prev.visit_id if prev else None,
                activity_id=prev.activity_id if prev else None,
                done_at=prev.done_at if prev else None,
            )
        )
    plan.stops.all().delete()
    PlanStop.objects.bulk_create(rows)
    # Stops are written in bulk (the audit signals do not see them): one summary entry.
    audit.log(
        AuditAction.UPDATE if plan.revision > 1 else AuditAction.CREATE,
        object_type="patrol.planstop",
        object_id=plan.pk,
        object_repr=f"{plan} stops"[:300],
        changes={
            "routed": [*held, *(r.key for r in route if r.key not in held)],
            "points": len(rows),
            "revision": plan.revision,
            "source": source,
        },
    )
    return plan


def _minutes_of(value: dt.datetime | None) -> float:
    t = timezone.localtime(value)
    return t.hour * 60 + t.minute + t.second / 60


def do_replan(user: User, plan: PatrolPlan, *, seed: int = 0, **shift) -> PatrolPlan:
    """Re-plan one officer's day, keeping the Kapolsek's directives. ``shift`` may set
    ``shift_start``, ``shift_end`` (times) and ``mode`` for this plan."""
    if not access.can_edit_plan(user, plan):
        raise NotAllowed("only the Kapolsek and Polsek staff re-plan")
    if shift:
        errors = {}
        start = shift.get("shift_start") or plan.shift_start
        end = shift.get("shift_end") or plan.shift_end
        if end <= start:
            errors["shift_end"] = _("The shift ends before it starts.")
        if shift.get("mode") and shift["mode"] not in TravelMode.values:
            errors["mode"] = f"must be one of {', '.join(TravelMode.values)}"
        if errors:
            raise PatrolError(errors)
        plan.shift_start, plan.shift_end = start, end
        plan.mode = shift.get("mode") or plan.mode
        plan.save(update_fields=["shift_start", "shift_end", "mode"])
    result = do_generate_plans(
        plan.day, [plan.officer], user=user, source=PlanSource.REPLAN, seed=seed
    )
    return result.plans[0]


# --- directives --------------------------------------------------------------------

DIRECTIVES = ("pin", "unpin", "lock", "unlock", "remove", "restore")


def do_set_directive(user: User, stop: PlanStop, directive: str) -> PlanStop:
    """Pin (must visit), lock (keep at this position and time) or remove (exclude) a
    stop, or undo one. Applied by the next re-plan."""
    if directive not in DIRECTIVES:
        raise PatrolError({"directive": f"must be one of {', '.join(DIRECTIVES)}"})
    if not access.can_edit_plan(user, stop.plan):
        raise NotAllowed("only the Kapolsek and Polsek staff change a plan")
    with transaction.atomic():
        s = PlanStop.objects.select_for_update().get(pk=stop.pk)
        if directive == "pin":
            s.pinned, s.removed = True, False
        elif directive == "unpin":
            s.pinned = False
        elif directive == "lock":
            if s.sequence is None:
                raise PatrolError({"directive": _("Only a stop in the route can be locked.")})
            s.locked, s.removed = True, False
        elif directive == "unlock":
            s.locked = False
        elif directive == "remove":
            if s.done_at is not None:
                raise PatrolError({"directive": _("This stop is already done.")})
            s.removed, s.pinned, s.locked = True, False, False
        else:
            s.removed = False
        s.save(update_fields=["pinned", "locked", "removed"])
        PatrolPlan.objects.filter(pk=s.plan_id).update(needs_replan=True)
    return s


# --- marking done --------------------------------------------------------------------


def _visit_of_day(stop: PlanStop) -> Visit | None:
    """A visit already logged by the plan's officer to the stop's titik that day."""
    if stop.titik_id is None:
        return None
    tz = timezone.get_default_timezone()
    lo = dt.datetime.combine(stop.plan.day, dt.time.min, tzinfo=tz)
    hi = lo + dt.timedelta(days=1)
    return (
        Visit.objects.filter(
            titik_id=stop.titik_id,
            checkin_at__gte=lo,
            checkin_at__lt=hi,
            activity__officers=stop.plan.officer_id,
        )
        .select_related("activity")
        .order_by("checkin_at")
        .first()
    )


def do_mark_stop_done(
    user: User,
    stop: PlanStop,
    *,
    client_uuid: uuid.UUID | None = None,
    lat: float | None = None,
    lon: float | None = None,
    accuracy_m: float | None = None,
    at: dt.datetime | None = None,
    notes: str = "",
) -> PlanStop:
    """Mark a stop done: link the visit already in the field log, or write one.

    The field log entry is a patrol activity with a visit (and GPS check-in when
    given) to the stop's titik, written through the field-work sync action with
    ``client_uuid`` (default: derived from the stop), so a retried request never logs
    it twice.
    """
    plan = stop.plan
    if not access.can_mark_done(user, plan):
        if not access.visible_plans(user).filter(pk=plan.pk).exists():
            raise NotInScope(str(stop.pk))
        raise NotAllowed("only the officer of the plan or their Polsek marks stops done")
    if stop.done_at is not None:
        return stop
    if stop.removed:
        raise PatrolError({"stop": _("This stop was removed from the plan.")})
    if (lat is None) != (lon is None):
        raise PatrolError({"lat": _("give both lat and lon, or neither")})
    wrong_day = {"at": _("A stop is marked done on the plan's day (%(day)s).") % {"day": plan.day}}
    try:
        when = as_utc(at) or timezone.now()  # naive: Jakarta time, as in sync
        day = timezone.localtime(when).date()
    except OverflowError:  # e.g. 0001-01-01T00:00+14:00 leaves the calendar in UTC
        raise PatrolError(wrong_day) from None
    if day != plan.day:
        raise PatrolError(wrong_day)
    existing = _visit_of_day(stop)
    with transaction.atomic():
        if existing is not None:
            visit, activity = existing, existing.activity
        else:
            key = client_uuid or uuid.uuid5(NS_DONE, f"{stop.plan_id}:{stop.key}")
            kelurahan = stop.titik.kelurahan_id if stop.titik_id else stop.event.kelurahan_id
            seq = f" #{stop.sequence}" if stop.sequence else ""
            payload = {
                "client_uuid": key,
                "base_version": None,
                "client_edited_at": when,
                "kind": ActivityKind.PATROL,
                "started_at": when,
                "ended_at": None,
                "kelurahan": kelurahan,
                "officer_ids": [plan.officer_id],
                "location_text": stop.name[:200],
                "people_met": "",
                "people_count": None,
                "contact_ids": [],
                "topics": ["cooling_system"],
                "topics_other": "",
                "appeals": "",
                "notes": (
                    notes.strip()
                    or _("Patrol plan stop%(seq)s, %(day)s") % {"seq": seq, "day": plan.day}
                ),
                "follow_up_needed": False,
                "visits": [
                    {
                        "titik_id": stop.titik_id,
                        "checkin_at": when,
                        "lat": lat,
                        "lon": lon,
                        "accuracy_m": accuracy_m,
                    }
                ]
                if stop.titik_id
                else [],
                "complaints": [],
            }
            activity = field_actions.do_sync_activity(user, payload).activity
            visit = (
                activity.visits.filter(titik_id=stop.titik_id).first() if stop.titik_id else None
            )
        s = PlanStop.objects.select_for_update().get(pk=stop.pk)
        if s.done_at is None:
            s.visit = visit
            s.activity = activity
            s.done_at = visit.checkin_at if visit is not None else when
            s.save(update_fields=["visit", "activity", "done_at"])
    return s


def link_visit(visit: Visit) -> int:
    """Mark done the open stops this visit fulfils: same titik, same local day, a plan
    of one of the activity's officers. Called when a visit is logged (any channel)."""
    day = timezone.localtime(visit.checkin_at).date()
    officer_ids = list(visit.activity.officers.values_list("pk", flat=True))
    if not officer_ids:
        return 0
    n = 0
    for s in PlanStop.objects.filter(
        titik_id=visit.titik_id,
        plan__day=day,
        plan__officer_id__in=officer_ids,
        done_at__isnull=True,
        removed=False,
    ):
        s.visit, s.activity, s.done_at = visit, visit.activity, visit.checkin_at
        s.save(update_fields=["visit", "activity", "done_at"])
        n += 1
    return n


# --- scheduled events -----------------------------------------------------------------


def do_save_event(user: User, event: ScheduledEvent) -> ScheduledEvent:
    if not access.can_write_events(user):
        raise NotAllowed("your role does not schedule events")
    if event.pk is not None:
        stored = (
            ScheduledEvent.objects.filter(pk=event.pk)
            .values_list("kelurahan_id", flat=True)
            .first()
        )
        if stored is None or not access.may_write_event_in(user, stored):
            raise NotInScope(str(event.pk))
    if not access.may_write_event_in(user, event.kelurahan_id or ""):
        raise NotInScope(event.kelurahan_id or "")
    try:
        event.full_clean(exclude=["created_by"])
    except ValidationError as exc:
        raise PatrolError({k: " ".join(v) for k, v in exc.message_dict.items()}) from None
    error = (
        field_actions.check_point_in_kelurahan(event.kelurahan_id, event.lat, event.lon)
        if event.titik_id is None and event.lat is not None
        else None
    )
    if error:
        raise PatrolError({"location": error})
    if event.titik_id is not None:
        event.lat = event.lon = None
    if event.pk is None:
        event.created_by = user
    with transaction.atomic():
        event.save()
        _flag_plans_of(event)
    return event


def do_delete_event(user: User, event: ScheduledEvent) -> None:
    if not access.may_write_event_in(user, event.kelurahan_id):
        raise NotInScope(str(event.pk))
    with transaction.atomic():
        _flag_plans_of(event)
        event.delete()


def _flag_plans_of(event: ScheduledEvent) -> None:
    """Plans of that day and kelurahan no longer reflect the events: re-plan."""
    PatrolPlan.objects.filter(day=event.day).filter(
        Q(kelurahan_id=event.kelurahan_id) | Q(officer__kelurahan__kode=event.kelurahan_id)
    ).update(needs_replan=True)

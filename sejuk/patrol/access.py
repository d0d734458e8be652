"""Who may see and change patrol plans and scheduled events.

* A Bhabinkamtibmas sees only their own plans (not a partner's in the same
  kelurahan) and marks their own stops done.
* The Kapolsek and Polsek staff see the plans of the officers of their sector,
  pin, lock or remove stops, re-plan and generate plans.
* The Kapolres and Polres staff see the plans of their Polres (read only).
* Everyone else gets 404, like every record outside a role or territory.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from sejuk.accounts.access import has_role, in_scope, visible_officers
from sejuk.accounts.models import Role, User
from sejuk.fieldwork.access import may_write_in
from sejuk.patrol.models import PatrolPlan, PlanStop, ScheduledEvent

PLAN_READERS = (
    Role.BHABINKAMTIBMAS,
    Role.KAPOLSEK,
    Role.POLSEK_STAFF,
    Role.KAPOLRES,
    Role.POLRES_STAFF,
)
PLAN_EDITORS = (Role.KAPOLSEK, Role.POLSEK_STAFF)
EVENT_WRITERS = (Role.BHABINKAMTIBMAS, Role.KAPOLSEK, Role.POLSEK_STAFF)


def can_read_plans(user: User) -> bool:
    return has_role(user, *PLAN_READERS)


def can_edit_plans(user: User) -> bool:
    """May pin, lock, remove, re-plan and generate (within the visible plans)."""
    return has_role(user, *PLAN_EDITORS)


def visible_plans(user: User) -> QuerySet[PatrolPlan]:
    if not can_read_plans(user):
        return PatrolPlan.objects.none()
    if user.role == Role.BHABINKAMTIBMAS and not user.is_admin_role:
        if user.officer_id is None:
            return PatrolPlan.objects.none()
        return PatrolPlan.objects.filter(officer_id=user.officer_id)
    return PatrolPlan.objects.filter(officer__in=visible_officers(user).values("pk"))


def get_plan_for_user(user: User, pk) -> PatrolPlan:
    try:
        return visible_plans(user).select_related("officer", "kelurahan").get(pk=pk)
    except (PatrolPlan.DoesNotExist, ValueError, TypeError):
        raise Http404("No such plan in your territory") from None


def get_stop_for_user(user: User, pk) -> PlanStop:
    try:
        return (
            PlanStop.objects.select_related("plan", "plan__officer", "titik", "event")
            .filter(plan__in=visible_plans(user).values("pk"))
            .get(pk=pk)
        )
    except (PlanStop.DoesNotExist, ValueError, TypeError):
        raise Http404("No such stop in your territory") from None


def can_edit_plan(user: User, plan: PatrolPlan) -> bool:
    return can_edit_plans(user) and visible_plans(user).filter(pk=plan.pk).exists()


def can_mark_done(user: User, plan: PatrolPlan) -> bool:
    """The officer of the plan, or whoever may log field work for them there."""
    if not visible_plans(user).filter(pk=plan.pk).exists():
        return False
    if user.officer_id is not None and user.officer_id == plan.officer_id:
        return True
    return can_edit_plans(user) and may_write_in(user, plan.kelurahan_id)


def visible_events(user: User) -> QuerySet[ScheduledEvent]:
    if not can_read_plans(user):
        return ScheduledEvent.objects.none()
    return in_scope(ScheduledEvent.objects.all(), user)


def can_write_events(user: User) -> bool:
    return has_role(user, *EVENT_WRITERS)


def may_write_event_in(user: User, kelurahan_kode: str) -> bool:
    return can_write_events(user) and may_write_in(user, kelurahan_kode)

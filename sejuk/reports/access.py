"""Who sees which reports, and who sees the reporter's identity."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from sejuk.accounts.access import has_role, scope_for
from sejuk.accounts.models import Role, User
from sejuk.reports.models import Report

# Roles that work reports.
HANDLERS = (
    Role.BHABINKAMTIBMAS,
    Role.KAPOLSEK,
    Role.POLSEK_STAFF,
    Role.KAPOLRES,
    Role.POLRES_STAFF,
    Role.OPERATOR_110,
)
# Roles that may see the reporter's name and contact (each view is audited).
IDENTITY_ROLES = HANDLERS


def visible_reports(user: User) -> QuerySet[Report]:
    """Reports in the user's territory: by kelurahan, or for reports not yet
    located, by the Polsek/Polres they were routed to."""
    scope = scope_for(user)
    if scope.everything:
        return Report.objects.all()
    if scope.empty:
        return Report.objects.none()
    q = scope.q("scope_kode")
    if scope.officer_id:
        # A report assigned to me is mine to work, wherever it was placed.
        q |= Q(assigned_officer_id=scope.officer_id)
    if user.role != Role.BHABINKAMTIBMAS and scope.unit_ids:
        q |= Q(kelurahan__isnull=True, polsek_id__in=scope.unit_ids)
        q |= Q(kelurahan__isnull=True, polres_id__in=scope.unit_ids)
    return Report.objects.filter(q)


def can_handle(user: User) -> bool:
    return has_role(user, *HANDLERS)


def can_see_reporter(user: User, report: Report) -> bool:
    if not has_role(user, *IDENTITY_ROLES):
        return False
    return visible_reports(user).filter(pk=report.pk).exists()


# The people who work a case; the 110 operator logs calls, adds notes and
# corrects a location, but verifying and closing is for the units.
WORKFLOW_ROLES = (
    Role.BHABINKAMTIBMAS,
    Role.KAPOLSEK,
    Role.POLSEK_STAFF,
    Role.KAPOLRES,
    Role.POLRES_STAFF,
)
ACTION_ROLES: dict[str, tuple[str, ...]] = {
    "verify": WORKFLOW_ROLES,
    "follow_up": WORKFLOW_ROLES,
    "on_scene": WORKFLOW_ROLES,
    "resolve": WORKFLOW_ROLES,
    "reject": WORKFLOW_ROLES,
    "note": HANDLERS,
    "handoff": WORKFLOW_ROLES,
    "agency_accepted": WORKFLOW_ROLES,
    "reroute": HANDLERS,
    "merge": WORKFLOW_ROLES,
    "unmerge": WORKFLOW_ROLES,
}


def role_allows(user: User, action: str) -> bool:
    """Whether the user's role may take a workflow action (pages and API alike)."""
    return has_role(user, *ACTION_ROLES.get(action, ()))

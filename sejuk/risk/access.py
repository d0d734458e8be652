"""Who sees the index and who writes assessments, incidents and alert decisions.

Built on sejuk.accounts.access: every query is limited to the user's
territory, and a kelurahan outside it answers 404. Humas and the 110
operator have no risk pages: vulnerability scores are operational, not for
publication or call handling.
"""

from __future__ import annotations

from django.db.models import QuerySet

from sejuk.accounts.access import Scope, has_role, in_scope, scope_for
from sejuk.accounts.models import Role, User
from sejuk.risk.models import Assessment, DailyRisk, Incident, RiskAlert, RiskRollup
from sejuk.territory.models import PoliceUnit

READERS = (
    Role.BHABINKAMTIBMAS,
    Role.KAPOLSEK,
    Role.POLSEK_STAFF,
    Role.KAPOLRES,
    Role.POLRES_STAFF,
    Role.ANALYST,
)
# "Officers and analysts fill an assessment form."
ASSESSORS = READERS
INCIDENT_WRITERS = READERS
ALERT_HANDLERS = (
    Role.BHABINKAMTIBMAS,
    Role.KAPOLSEK,
    Role.POLSEK_STAFF,
    Role.KAPOLRES,
    Role.POLRES_STAFF,
)


def overlaps(scope: Scope, kode: str) -> bool:
    """True when the area ``kode`` lies in the scope or holds part of it."""
    return scope.covers(kode) or any(p.startswith(kode + ".") for p in scope.prefixes)


def can_read(user: User) -> bool:
    return has_role(user, *READERS)


def can_assess(user: User, kode: str) -> bool:
    return has_role(user, *ASSESSORS) and scope_for(user).covers(kode)


def can_record_incident(user: User, kode: str) -> bool:
    return has_role(user, *INCIDENT_WRITERS) and scope_for(user).covers(kode)


def can_handle_alert(user: User, alert: RiskAlert) -> bool:
    return has_role(user, *ALERT_HANDLERS) and scope_for(user).covers(alert.kelurahan_id)


def visible_daily(user: User) -> QuerySet[DailyRisk]:
    if not can_read(user):
        return DailyRisk.objects.none()
    return in_scope(DailyRisk.objects.all(), user)


def visible_assessments(user: User) -> QuerySet[Assessment]:
    if not can_read(user):
        return Assessment.objects.none()
    return in_scope(Assessment.objects.all(), user)


def visible_incidents(user: User) -> QuerySet[Incident]:
    if not can_read(user):
        return Incident.objects.none()
    return in_scope(Incident.objects.all(), user)


def visible_alerts(user: User) -> QuerySet[RiskAlert]:
    if not can_read(user):
        return RiskAlert.objects.none()
    return in_scope(RiskAlert.objects.all(), user)


def visible_rollups(user: User) -> QuerySet[RiskRollup]:
    """Area rollups inside the scope, and the rollups of the user's own units and below.

    A Kapolsek sees their kecamatan and their Polsek; the Kapolres the kota,
    its kecamatan, the Polres and its Polsek. A Bhabinkamtibmas sees none (their
    scope is single kelurahan)."""
    if not can_read(user):
        return RiskRollup.objects.none()
    scope = scope_for(user)
    if scope.everything:
        return RiskRollup.objects.all()
    if scope.empty or user.role == Role.BHABINKAMTIBMAS:
        return RiskRollup.objects.none()
    units = PoliceUnit.objects.filter(pk__in=scope.unit_ids).values_list("code", flat=True)
    area = RiskRollup.objects.filter(kind__in=("provinsi", "kota", "kecamatan")).filter(
        scope.q("code")
    )
    mine = RiskRollup.objects.filter(kind__in=("polda", "polres", "polsek"), code__in=list(units))
    return area | mine

"""Who sees which posts, narratives and alerts, and who manages the archive.

Posts carry ``scope_kode``: the kelurahan (or kecamatan) they are about, or,
for posts that could not be placed, the monitoring unit's territory (the
Polres of ``SEJUK_TRIAGE_UNIT``), like citizen reports that cannot be
located. A narrative is visible when at least one of its posts is, and then
shows only those posts. Out of scope answers 404.
"""

from __future__ import annotations

from django.db.models import QuerySet

from sejuk.accounts.access import has_role, in_scope
from sejuk.accounts.models import Role, User
from sejuk.monitoring.models import Alert, Narrative, Post

# Roles that read monitoring (the 110 operator and Humas do not).
READERS = (
    Role.BHABINKAMTIBMAS,
    Role.KAPOLSEK,
    Role.POLSEK_STAFF,
    Role.KAPOLRES,
    Role.POLRES_STAFF,
    Role.ANALYST,
)
# Roles that manage the fact-check archive and the thresholds (admin always may).
MANAGERS = (Role.ANALYST,)
# Roles that acknowledge and close alerts.
HANDLERS = (
    Role.BHABINKAMTIBMAS,
    Role.KAPOLSEK,
    Role.POLSEK_STAFF,
    Role.KAPOLRES,
    Role.POLRES_STAFF,
    Role.ANALYST,
)


def can_read(user: User) -> bool:
    return has_role(user, *READERS)


def can_manage(user: User) -> bool:
    return has_role(user, *MANAGERS)


def can_handle_alerts(user: User) -> bool:
    return has_role(user, *HANDLERS)


def visible_posts(user: User) -> QuerySet[Post]:
    if not can_read(user):
        return Post.objects.none()
    return in_scope(Post.objects.all(), user, "scope_kode")


def visible_narratives(user: User) -> QuerySet[Narrative]:
    ids = visible_posts(user).filter(narrative__isnull=False).values("narrative_id")
    return Narrative.objects.filter(pk__in=ids)


def visible_alerts(user: User) -> QuerySet[Alert]:
    if not can_read(user):
        return Alert.objects.none()
    return in_scope(Alert.objects.all(), user, "area_kode")

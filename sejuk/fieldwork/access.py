"""Who may see and write field work. Built on sejuk.accounts.access."""

from __future__ import annotations

from django.db.models import QuerySet

from sejuk.accounts.access import has_role, in_scope, scope_for
from sejuk.accounts.models import Role, User
from sejuk.fieldwork.models import Activity, Contact, FieldComplaint, TitikRawan

# Roles that log field work and edit the registry.
FIELD_WRITERS = (Role.BHABINKAMTIBMAS, Role.KAPOLSEK, Role.POLSEK_STAFF)
# Contacts are personal data: the responsible officer and their chain of command.
CONTACT_READERS = (
    Role.BHABINKAMTIBMAS,
    Role.KAPOLSEK,
    Role.POLSEK_STAFF,
    Role.KAPOLRES,
    Role.POLRES_STAFF,
)


def can_write_fieldwork(user: User) -> bool:
    return has_role(user, *FIELD_WRITERS)


def can_read_contacts(user: User) -> bool:
    return has_role(user, *CONTACT_READERS)


def visible_titik(user: User) -> QuerySet[TitikRawan]:
    return in_scope(TitikRawan.objects.all(), user)


def visible_activities(user: User) -> QuerySet[Activity]:
    return in_scope(Activity.objects.all(), user)


def visible_complaints(user: User) -> QuerySet[FieldComplaint]:
    return in_scope(FieldComplaint.objects.all(), user)


def visible_contacts(user: User) -> QuerySet[Contact]:
    if not can_read_contacts(user):
        return Contact.objects.none()
    return in_scope(Contact.objects.all(), user)


def may_write_in(user: User, kelurahan_kode: str) -> bool:
    return can_write_fieldwork(user) and scope_for(user).covers(kelurahan_kode)


# Who may give a complaint another owner or due date.
REASSIGN_ROLES = (Role.KAPOLSEK, Role.POLSEK_STAFF)


def can_reassign(user: User, complaint: FieldComplaint) -> bool:
    return may_write_in(user, complaint.kelurahan_id) and has_role(user, *REASSIGN_ROLES)

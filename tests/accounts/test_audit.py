"""The audit log: every change and every view of personal data, append-only."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from sejuk.accounts import audit
from sejuk.accounts.models import AppendOnlyError, AuditAction, AuditEntry
from sejuk.territory.models import Officer, PoliceUnit


def entries_for(obj):
    return AuditEntry.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))


def test_create_update_and_delete_are_logged_with_actor_and_changed_fields(kapolres):
    unit = PoliceUnit.objects.get(code="polsek-johar-baru")
    with audit.acting_as(audit.actor_for_user(kapolres, ip="10.1.2.3", source="test")):
        officer = Officer.objects.create(nrp="12345678", name="Uji Coba", rank="Bripka", unit=unit)
        officer.name = "Uji Coba Dua"
        officer.save()
        officer.kelurahan.add("31.71.08.1003")
        pk = officer.pk
        officer.delete()
    log = list(
        AuditEntry.objects.filter(object_type="territory.officer", object_id=str(pk)).order_by("id")
    )
    assert [e.action for e in log] == ["create", "update", "update", "delete"]
    assert all(e.actor_username == "kapolres.jakpus" and e.ip == "10.1.2.3" for e in log)
    assert log[0].changes["name"] == [None, "Uji Coba"]
    assert log[1].changes == {"name": ["Uji Coba", "Uji Coba Dua"]}
    assert log[2].changes == {"kelurahan": {"added": ["31.71.08.1003"]}}


def test_a_save_without_changes_is_not_logged(db):
    unit = PoliceUnit.objects.get(code="polsek-johar-baru")
    before = entries_for(unit).count()
    unit.save()
    assert entries_for(unit).count() == before


def test_passwords_never_reach_the_log(galur):
    galur.set_password("a-new-password-123")
    galur.save()
    entry = entries_for(galur).latest("id")
    assert entry.changes["password"] == ["***", "***"]


def test_views_of_personal_data_are_logged(kapolsek_jb, galur):
    audit.log_view(kapolsek_jb, galur.officer, ["phone"])
    e = AuditEntry.objects.filter(action=AuditAction.VIEW).latest("id")
    assert e.actor_username == "kapolsek.joharbaru" and e.changes == {"fields": ["phone"]}


def test_entries_cannot_be_changed_or_deleted_through_the_orm(db):
    entry = audit.log(AuditAction.EXPORT, object_type="x", object_repr="test")
    entry.object_repr = "tampered"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).update(object_repr="tampered")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).delete()


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE accounts_auditentry SET object_repr = 'tampered'",
        "DELETE FROM accounts_auditentry",
    ],
)
def test_the_database_itself_refuses_to_edit_entries(db, sql):
    entry = audit.log(AuditAction.EXPORT, object_type="x", object_repr="original")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute(sql)
    assert AuditEntry.objects.get(pk=entry.pk).object_repr == "original"


def test_the_admin_can_search_the_log_but_nobody_can_edit_it(client_for, admin_demo):
    audit.log(AuditAction.EXPORT, object_type="territory.officer", object_repr="findme-123")
    client = client_for(admin_demo)
    r = client.get("/admin/accounts/auditentry/", {"q": "findme-123"})
    assert r.status_code == 200 and "findme-123" in r.content.decode()
    entry = AuditEntry.objects.get(object_repr="findme-123")
    assert client.get("/admin/accounts/auditentry/add/").status_code == 403
    r = client.post(f"/admin/accounts/auditentry/{entry.pk}/delete/", {"post": "yes"})
    assert r.status_code == 403
    r = client.post(f"/admin/accounts/auditentry/{entry.pk}/change/", {"object_repr": "x"})
    assert r.status_code == 403
    assert AuditEntry.objects.get(pk=entry.pk).object_repr == "findme-123"


def test_non_admin_roles_cannot_open_the_admin(client_for, kapolres):
    client = client_for(kapolres)
    r = client.get("/admin/accounts/auditentry/")
    assert r.status_code == 302 and "/admin/login/" in r["Location"]

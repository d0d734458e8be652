"""POST /api/v1/field/activities/sync: idempotent, scoped, merges two devices."""

from __future__ import annotations

import uuid

import pytest

from sejuk.fieldwork.models import Activity, ActivityRevision, FieldComplaint, SyncConflict, Visit

URL = "/api/v1/field/activities/sync"


def post(client, body):
    return client.post(URL, body, content_type="application/json")


def test_a_new_activity_is_created_once_and_a_retry_is_a_duplicate(client_for, galur, payload):
    client = client_for(galur)
    body = payload()
    first = post(client, body)
    assert first.status_code == 201, first.content
    assert first.json()["status"] == "created" and first.json()["version"] == 1
    again = post(client, body)
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert Activity.objects.filter(client_uuid=body["client_uuid"]).count() == 1
    a = Activity.objects.get(client_uuid=body["client_uuid"])
    assert list(a.officers.values_list("pk", flat=True)) == [galur.officer_id]
    assert a.created_by == galur and a.version == 1
    assert ActivityRevision.objects.filter(activity=a).count() == 1


def test_an_edit_on_the_current_version_updates(client_for, galur, payload):
    client = client_for(galur)
    body = payload()
    post(client, body)
    body.update(
        base_version=1,
        notes="Ada laporan spanduk dirusak",
        client_edited_at="2024-11-14T12:00:00+07:00",
    )
    r = post(client, body)
    assert r.json()["status"] == "updated" and r.json()["version"] == 2
    assert (
        Activity.objects.get(client_uuid=body["client_uuid"]).notes == "Ada laporan spanduk dirusak"
    )


def test_a_lost_response_then_an_offline_edit_still_updates(client_for, galur, payload):
    """The create reached the server but the phone never heard back (base_version None)."""
    client = client_for(galur)
    body = payload()
    post(client, body)
    body["notes"] = "edited offline afterwards"
    r = post(client, body)
    assert r.json()["status"] == "updated" and r.json()["version"] == 2


def test_two_devices_merge_field_by_field_and_the_later_edit_wins(
    client_for, galur, kapolsek_jb, payload
):
    phone = client_for(galur)
    body = payload()
    post(phone, body)
    # Device A (the Kapolsek's desktop) edits notes and people_count at 12:00.
    desk = client_for(kapolsek_jb)
    a = dict(body, base_version=1, notes="Catatan Kapolsek", people_count=20,
             officer_ids=[galur.officer_id], client_edited_at="2024-11-14T12:00:00+07:00")  # fmt: skip
    assert post(desk, a).json()["version"] == 2
    # Device B (the officer's phone, still on version 1) edits notes at 11:50 and appeals.
    phone = client_for(galur)
    b = dict(body, base_version=1, notes="Catatan dari HP", appeals="Imbauan baru",
             client_edited_at="2024-11-14T11:50:00+07:00")  # fmt: skip
    r = post(phone, b)
    out = r.json()
    assert out["status"] == "merged" and out["version"] == 3
    act = Activity.objects.get(client_uuid=body["client_uuid"])
    assert act.notes == "Catatan Kapolsek"  # both changed: the later edit (12:00) wins
    assert act.appeals == "Imbauan baru"  # only the phone changed it
    assert act.people_count == 20  # only the desktop changed it
    conflict = SyncConflict.objects.get(activity=act)
    assert out["conflicts"] == [
        {
            "id": conflict.pk,
            "field": "notes",
            "kept": "Catatan Kapolsek",
            "discarded": "Catatan dari HP",
        }
    ]
    assert conflict.discarded_by == galur and not conflict.acknowledged
    # The conflict is shown with the activity until acknowledged.
    shown = phone.get(f"/api/v1/field/activities/{act.pk}").json()["conflicts"]
    assert [c["field"] for c in shown] == ["notes"]
    assert phone.post(f"/api/v1/field/field/conflicts/{conflict.pk}/ack").status_code == 404
    assert phone.post(f"/api/v1/field/conflicts/{conflict.pk}/ack").status_code == 200
    assert phone.get(f"/api/v1/field/activities/{act.pk}").json()["conflicts"] == []


def test_a_later_phone_edit_wins_over_an_earlier_server_edit(
    client_for, galur, kapolsek_jb, payload
):
    body = payload()
    post(client_for(galur), body)
    post(client_for(kapolsek_jb), dict(body, base_version=1, notes="server", officer_ids=[galur.officer_id],
                                       client_edited_at="2024-11-14T12:00:00+07:00"))  # fmt: skip
    r = post(
        client_for(galur),
        dict(body, base_version=1, notes="phone", client_edited_at="2024-11-14T13:00:00+07:00"),
    )
    (conflict,) = r.json()["conflicts"]
    assert (conflict["field"], conflict["kept"], conflict["discarded"]) == (
        "notes",
        "phone",
        "server",
    )
    assert Activity.objects.get(client_uuid=body["client_uuid"]).notes == "phone"


def test_visits_record_distance_and_flag_check_ins_over_200_m(
    client_for, galur, payload, titik_galur
):
    body = payload(
        visits=[{"titik_id": titik_galur.pk, "checkin_at": "2024-11-14T09:40:00+07:00",
                 "lat": -6.1762 + 0.0025, "lon": 106.8554, "accuracy_m": 10}]
    )  # fmt: skip
    out = post(client_for(galur), body).json()
    (visit,) = out["visits"]
    assert 270 < visit["distance_m"] < 290 and visit["flagged"] is True
    near = payload(visits=[{"titik_id": titik_galur.pk, "lat": -6.17625, "lon": 106.85545}])
    (visit,) = post(client_for(galur), near).json()["visits"]
    assert visit["distance_m"] < 20 and visit["flagged"] is False
    assert Visit.objects.filter(titik=titik_galur).count() == 2


def test_complaints_heard_become_tracked_items_once(client_for, galur, payload):
    key = str(uuid.uuid4())
    body = payload(
        complaints=[{"client_uuid": key, "summary": "Lampu jalan mati", "raised_by": "Ketua RT 05"}]
    )
    client = client_for(galur)
    post(client, body)
    post(client, body)
    c = FieldComplaint.objects.get(client_uuid=key)
    assert (
        c.status == "open" and c.owner_id == galur.officer_id and c.kelurahan_id == "31.71.08.1003"
    )
    assert str(c.due_date) == "2024-11-21"  # default: a week after the activity
    assert c.events.count() == 1


def test_an_officer_cannot_write_another_kelurahan(client_for, galur, payload):
    r = post(client_for(galur), payload(kelurahan="31.71.08.1004"))
    assert r.status_code == 404
    assert (
        not Activity.objects.exists()
        or not Activity.objects.filter(kelurahan_id="31.71.08.1004").exists()
    )


def test_another_kelurahans_activity_cannot_be_overwritten_by_uuid(
    client_for, galur, tanahtinggi, payload
):
    body = payload(kelurahan="31.71.08.1004")
    assert post(client_for(tanahtinggi), body).status_code == 201
    r = post(client_for(galur), dict(body, kelurahan="31.71.08.1003", notes="hijack"))
    assert r.status_code == 404
    assert Activity.objects.get(client_uuid=body["client_uuid"]).notes == "Aman dan kondusif"


def test_staff_without_an_officer_log_for_the_kelurahans_officer(client_for, galur, db, payload):
    from sejuk.accounts.models import User

    staff = User.objects.get(username="staf.joharbaru")
    r = post(client_for(staff), payload())
    assert r.status_code == 201, r.content
    act = Activity.objects.get(pk=r.json()["id"])
    assert list(act.officers.values_list("pk", flat=True)) == [galur.officer_id]


def test_roles_that_do_not_do_field_work_are_refused(client_for, db, payload):
    from sejuk.accounts.models import User

    r = post(client_for(User.objects.get(username="humas.jakpus")), payload())
    assert r.status_code == 403


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"kind": "tidur"}, "kind"),
        ({"topics": ["gossip"]}, "topics"),
        ({"kelurahan": "31.71.08"}, "kelurahan"),
        ({"ended_at": "2024-11-14T08:00:00+07:00"}, "ended_at"),
        ({"started_at": "2099-01-01T00:00:00+07:00", "ended_at": None}, "started_at"),
        ({"visits": [{"titik_id": 999999}]}, "visits[0].titik_id"),
        ({"contact_ids": [999999]}, "contact_ids"),
        ({"officer_ids": [999999]}, "officer_ids"),
    ],
)
def test_invalid_payloads_get_422_with_field_messages(client_for, galur, payload, over, field):
    r = post(client_for(galur), payload(**over))
    assert r.status_code == 422, r.content
    body = r.json()
    assert any(d["loc"][-1] == field for d in body["detail"]), body
    assert body["message"]


@pytest.mark.parametrize(
    "raw",
    [
        b"{not json",
        b"[]",
        b'{"client_uuid": "not-a-uuid"}',
        b'{"client_uuid": "' + str(uuid.uuid4()).encode() + b'"}',
    ],
)
def test_malformed_bodies_get_422_not_500(client_for, galur, raw):
    r = client_for(galur).post(URL, raw, content_type="application/json")
    assert r.status_code in (400, 422)


def test_a_titik_of_another_kelurahan_cannot_be_visited(
    client_for, galur, payload, titik_tanah_tinggi
):
    r = post(client_for(galur), payload(visits=[{"titik_id": titik_tanah_tinggi.pk}]))
    assert r.status_code == 422


@pytest.mark.parametrize("field", ["started_at", "ended_at", "client_edited_at"])
def test_a_time_whose_utc_form_leaves_the_calendar_is_a_422(client_for, galur, payload, field):
    body = payload()
    body[field] = "0001-01-01T00:00:00+14:00"
    r = post(client_for(galur), body)
    assert r.status_code == 422, r.content
    assert field in r.content.decode()
    assert not Activity.objects.filter(client_uuid=body["client_uuid"]).exists()

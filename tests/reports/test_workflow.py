"""The follow-up loop: statuses, SLA clocks and escalation, re-routing,
hand-off, closing, rating and reopening, and who sees the reporter."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone, translation

from sejuk.accounts.models import AuditEntry, User
from sejuk.reports import actions
from sejuk.reports.models import EventKind, Notification, Report, Status
from sejuk.reports.tasks import escalation_tick

T0 = dt.datetime(2024, 11, 27, 8, 0, tzinfo=dt.UTC)


def act(client, report, **body):
    return client.post(
        f"/api/v1/reports/{report.pk}/actions", body, content_type="application/json"
    )


def test_the_happy_path_records_every_transition(make_report, client_for, galur):
    r = make_report()
    c = client_for(galur)
    assert act(c, r, action="verify", note="dicek via telepon").json()["status"] == "verified"
    assert (
        act(c, r, action="follow_up", officer_id=galur.officer_id).json()["status"]
        == "in_follow_up"
    )
    assert act(c, r, action="on_scene").json()["on_scene_at"]
    out = act(c, r, action="resolve", note="Spanduk diganti, pelaku diimbau").json()
    assert out["status"] == "resolved"
    transitions = [(e["from"], e["to"]) for e in out["events"] if e["kind"] == "transition"]
    assert transitions == [
        ("received", "verified"),
        ("verified", "in_follow_up"),
        ("in_follow_up", "resolved"),
    ]
    assert all(e["actor"] for e in out["events"] if e["kind"] == "transition")


def test_rejection_and_resolution_need_their_texts(make_report, client_for, galur):
    r = make_report()
    c = client_for(galur)
    assert act(c, r, action="reject").status_code == 422
    assert act(c, r, action="verify").status_code == 200
    assert act(c, r, action="resolve").status_code == 422
    assert (
        act(c, r, action="reject", reason="laporan palsu, sudah dicek").json()["status"]
        == "rejected"
    )


def test_an_impossible_transition_is_422(make_report, client_for, galur):
    r = make_report()
    assert act(client_for(galur), r, action="follow_up").status_code == 422


def test_missed_sla_escalates_to_kapolsek_then_kapolres_once_even_across_restarts(db):
    with time_machine.travel(T0, tick=False):
        r = actions.create_report(actions.ReportInput(
            category="crowd", description="Sekarang ada tawuran massa di depan posko Jl. Topaz!",
            lat=-6.1762, lon=106.8554))  # fmt: skip
    assert r.urgency == "urgent"
    kapolsek = User.objects.get(username="kapolsek.joharbaru")
    kapolres = User.objects.get(username="kapolres.jakpus")
    with time_machine.travel(T0 + dt.timedelta(minutes=10), tick=False):
        escalation_tick.call(reschedule=False)
    assert not Notification.objects.filter(kind="escalation").exists()
    with time_machine.travel(T0 + dt.timedelta(minutes=16), tick=False):
        escalation_tick.call(reschedule=False)
        escalation_tick.call(reschedule=False)  # a worker restarted and ran it again
    assert Notification.objects.filter(kind="escalation", user=kapolsek).count() == 1
    assert not Notification.objects.filter(kind="escalation", user=kapolres).exists()
    r.refresh_from_db()
    assert r.escalation_level == 1
    with time_machine.travel(T0 + dt.timedelta(minutes=31), tick=False):
        escalation_tick.call(reschedule=False)
        escalation_tick.call(reschedule=False)
    assert Notification.objects.filter(kind="escalation", user=kapolres).count() == 1
    assert Notification.objects.filter(kind="escalation", user=kapolsek).count() == 1
    assert r.events.filter(kind=EventKind.ESCALATION).count() == 2


def test_a_verified_urgent_report_escalates_when_nobody_is_on_scene_in_an_hour(db):
    with time_machine.travel(T0, tick=False):
        r = actions.create_report(actions.ReportInput(
            category="crowd", description="Sekarang ada tawuran massa di depan posko Jl. Topaz!",
            lat=-6.1762, lon=106.8554))  # fmt: skip
        actions.do_verify(User.objects.get(username="galur"), r)
    with time_machine.travel(T0 + dt.timedelta(minutes=61), tick=False):
        escalation_tick.call(reschedule=False)
    keys = list(Notification.objects.filter(kind="escalation").values_list("dedupe_key", flat=True))
    assert keys and all(":scene:1:" in k for k in keys)


def test_rerouting_needs_a_reason_is_audited_and_keeps_the_clock(
    make_report, client_for, kapolsek_jb
):
    r = make_report()
    c = client_for(kapolsek_jb)
    assert act(c, r, action="reroute", kelurahan="31.71.08.1004").status_code == 422
    before = Report.objects.get(pk=r.pk)
    out = act(
        c,
        r,
        action="reroute",
        kelurahan="31.71.08.1004",
        reason="lokasi sebenarnya di Tanah Tinggi",
    ).json()
    assert out["kelurahan"] == "31.71.08.1004" and out["located_by"] == "reroute"
    after = Report.objects.get(pk=r.pk)
    assert (after.received_at, after.ack_due_at, after.scene_due_at) == (
        before.received_at,
        before.ack_due_at,
        before.scene_due_at,
    )
    assert after.assigned_officer.kelurahan.filter(kode="31.71.08.1004").exists()
    assert AuditEntry.objects.filter(
        object_type="reports.report", object_id=str(r.pk), changes__has_key="reroute"
    ).exists()


def test_rerouting_to_another_polsek_moves_it_out_of_the_sector(
    make_report, client_for, kapolsek_jb, kapolsek_gambir
):
    r = make_report()
    act(
        client_for(kapolsek_jb),
        r,
        action="reroute",
        polsek="polsek-gambir",
        reason="lokasi di Gambir",
    )
    assert client_for(kapolsek_jb).get(f"/api/v1/reports/{r.pk}").status_code == 404
    assert client_for(kapolsek_gambir).get(f"/api/v1/reports/{r.pk}").status_code == 200


def test_handoff_keeps_the_report_visible_to_the_reporter_until_the_agency_takes_it(
    make_report, client_for, galur, client
):
    r = make_report(
        category="money_politics", description="Pembagian amplop oleh tim sukses di RW 02 Galur."
    )
    c = client_for(galur)
    act(c, r, action="verify")
    out = act(c, r, action="handoff", agency="bawaslu", agency_detail="Panwascam Johar Baru").json()
    assert out["status"] == "handed_off" and out["handed_to"] == "bawaslu"
    status = client.get(f"/api/v1/reports/status/{r.ticket}").json()
    assert status["status"] == "handed_off" and "Bawaslu" in status["handed_to"]
    out = act(c, r, action="agency_accepted", note="diterima Panwascam").json()
    assert out["archived"] is True
    assert r.ticket not in {x["ticket"] for x in c.get("/api/v1/reports").json()}


def test_the_reporter_sees_public_events_only_and_can_rate_and_reopen(make_report, galur, client):
    r = make_report()
    actions.do_verify(galur, r)
    actions.do_add_note(galur, r, "INTERNAL: pelapor tetangga terlapor", public=False)
    r = actions.do_resolve(galur, Report.objects.get(pk=r.pk), "Spanduk sudah diganti")
    body = client.get(f"/api/v1/reports/status/{r.ticket.lower().replace('-', '')}").json()
    assert body["status"] == "resolved" and body["resolution"] == "Spanduk sudah diganti"
    assert "INTERNAL" not in str(body)
    assert body["can_rate"] and body["can_reopen"]
    rated = client.post(
        f"/api/v1/reports/status/{r.ticket}/rate", {"rating": 4}, content_type="application/json"
    )
    assert rated.status_code == 200
    again = client.post(
        f"/api/v1/reports/status/{r.ticket}/rate", {"rating": 1}, content_type="application/json"
    )
    assert again.status_code == 422
    reopened = client.post(
        f"/api/v1/reports/status/{r.ticket}/reopen",
        {"reason": "spanduk dirusak lagi"},
        content_type="application/json",
    )
    assert reopened.json()["status"] == "in_follow_up"


def test_reopening_is_refused_after_the_window(make_report, galur, settings):
    settings.SEJUK_REOPEN_DAYS = 7
    r = make_report()
    actions.do_verify(galur, r)
    r = actions.do_resolve(galur, Report.objects.get(pk=r.pk), "selesai")
    with time_machine.travel(timezone.now() + dt.timedelta(days=8)):
        with translation.override("en"), pytest.raises(actions.ReportError, match="within 7 days"):
            actions.do_reopen(r, "masih terjadi")
        assert actions.archive_closed() == 1


def test_unknown_tickets_are_404_and_lookups_are_rate_limited(client, db, settings):
    assert client.get("/api/v1/reports/status/ACDE-FHJK").status_code == 404
    settings.SEJUK_STATUS_LOOKUPS_PER_MINUTE_IP = 2
    codes = [client.get("/api/v1/reports/status/ACDE-FHJK").status_code for _ in range(3)]
    assert codes[-1] == 429


def test_another_kelurahans_officer_cannot_see_the_report_or_the_reporter(
    make_report, client_for, tanahtinggi
):
    r = make_report()
    c = client_for(tanahtinggi)
    assert c.get(f"/api/v1/reports/{r.pk}").status_code == 404
    assert c.get(f"/api/v1/reports/{r.pk}/reporter").status_code == 404
    assert r.ticket not in {x["ticket"] for x in c.get("/api/v1/reports").json()}
    assert "0812" not in str(c.get("/api/v1/reports").json())


def test_the_responsible_officer_sees_the_phone_and_it_is_audited(make_report, client_for, galur):
    r = make_report()
    c = client_for(galur)
    detail = c.get(f"/api/v1/reports/{r.pk}").json()
    assert "0812" not in str(detail)  # not in the ordinary report view
    who = c.get(f"/api/v1/reports/{r.pk}/reporter").json()
    assert who["contact"] == "0812 3456 7890" and who["name"] == "Siti"
    assert AuditEntry.objects.filter(
        action="view", object_type="reports.report", object_id=str(r.pk), actor_username="galur"
    ).exists()


def test_humas_and_analysts_never_see_the_reporter(make_report, client_for):
    r = make_report()
    for username in ("humas.jakpus", "analis.jakpus"):
        c = client_for(User.objects.get(username=username))
        assert c.get(f"/api/v1/reports/{r.pk}/reporter").status_code == 403
        assert act(c, r, action="verify").status_code == 403


def test_resolved_reports_leave_the_queue_but_stay_searchable(make_report, client_for, galur):
    r = make_report()
    actions.do_verify(galur, r)
    actions.do_resolve(galur, Report.objects.get(pk=r.pk), "selesai")
    c = client_for(galur)
    assert r.ticket not in {x["ticket"] for x in c.get("/api/v1/reports").json()}
    assert r.ticket in {x["ticket"] for x in c.get("/api/v1/reports", {"queue": "all"}).json()}
    assert Report.objects.get(pk=r.pk).status == Status.RESOLVED


def test_unknown_actions_and_actions_the_state_forbids_are_422(make_report, client_for, galur):
    r = make_report()
    c = client_for(galur)
    assert act(c, r, action="teleport").status_code == 422
    assert act(c, r, action="agency_accepted").status_code == 422  # not handed off
    assert act(c, r, action="on_scene").status_code == 422  # not verified yet

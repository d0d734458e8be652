"""Intake: tickets, routing on real boundaries, triage, duplicates, encryption."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from sejuk.accounts.models import AuditEntry
from sejuk.reports import actions
from sejuk.reports.actions import ReportError, ReportInput, create_report, normalise_ticket
from sejuk.reports.models import EventKind, Report, Status, Urgency
from sejuk.reports.tasks import intake_tick


def test_the_api_files_a_report_and_answers_201_with_a_ticket(client, db):
    r = client.post(
        "/api/v1/reports",
        {
            "category": "money_politics",
            "description": "Ada pembagian amplop di pos RW 02 Galur malam ini.",
            "lat": -6.1762,
            "lon": 106.8554,
        },  # fmt: skip
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    ticket = r.json()["ticket"]
    assert normalise_ticket(ticket) == ticket and len(ticket) == 9
    assert Report.objects.get(ticket=ticket).channel == "api"


def test_tickets_are_easy_to_read_and_tolerant_on_input(db):
    t = actions.new_ticket()
    assert t[4] == "-" and not set(t.replace("-", "")) & set("0O1IL2Z5S8B6G")
    assert normalise_ticket(t.lower().replace("-", " ")) == t
    assert normalise_ticket("hello") is None


def test_a_point_in_galur_goes_to_aiptu_baktiar_emris_queue(make_report):
    r = make_report()
    assert r.kelurahan_id == "31.71.08.1003" and r.located_by == "gps"
    assert r.assigned_officer.name == "Baktiar Emri"
    assert r.polsek.code == "polsek-johar-baru" and r.polres.code == "polres-metro-jakarta-pusat"


def test_text_is_routed_by_the_gazetteer_when_there_is_no_point(make_report):
    r = make_report(
        lat=None, lon=None, address_text="Jl. Topaz RT 05 RW 02, Kelurahan Galur, Johar Baru"
    )
    assert r.kelurahan_id == "31.71.08.1003" and r.located_by == "gazetteer"


def test_an_unplaceable_report_goes_to_the_polres_triage_queue(
    make_report, client_for, kapolres, kapolsek_jb
):
    r = make_report(
        lat=None, lon=None, address_text="", description="Ada yang menyebar hoaks di grup WA warga."
    )
    assert (
        r.kelurahan_id is None
        and r.polres.code == "polres-metro-jakarta-pusat"
        and r.located_by == "triage"
    )
    triage = client_for(kapolres).get("/api/v1/reports", {"queue": "triage"}).json()
    assert r.ticket in {x["ticket"] for x in triage}
    assert r.ticket not in {
        x["ticket"] for x in client_for(kapolsek_jb).get("/api/v1/reports").json()
    }


def test_a_point_outside_jakarta_polygons_with_no_text_is_triaged(make_report):
    r = make_report(
        lat=-7.79, lon=110.36, description="Intimidasi pemilih di desa kami oleh orang tak dikenal."
    )
    assert r.kelurahan_id is None and r.located_by == "triage"


@pytest.mark.parametrize(
    ("category", "text", "urgency"),
    [
        (
            "crowd",
            "Sekarang ada tawuran dua kelompok massa di depan posko, ada yang bawa celurit!",
            Urgency.URGENT,
        ),
        (
            "intimidation",
            "Saya diancam akan dipukul kalau tidak memilih paslon tertentu.",
            Urgency.URGENT,
        ),
        ("vandalism", "Spanduk paslon dirusak orang tak dikenal tadi malam.", Urgency.NORMAL),
        ("money_politics", "Ada pembagian sembako dari tim sukses di RW 02.", Urgency.NORMAL),
    ],
)
def test_urgency_rules(make_report, category, text, urgency):
    r = make_report(category=category, description=text)
    assert r.urgency == urgency
    minutes = 15 if urgency == Urgency.URGENT else 240
    assert r.ack_due_at - r.received_at == dt.timedelta(minutes=minutes)
    assert (r.scene_due_at is not None) == (urgency == Urgency.URGENT)


def test_the_classifier_hook_can_raise_urgency(make_report, settings):
    settings.SEJUK_TRIAGE_CLASSIFIER = "tests.reports.test_intake.always_urgent"
    from sejuk.reports import triage

    triage._classifier.cache_clear()
    try:
        assert (
            make_report(
                category="other", description="Isu negatif menyebar cepat di grup warga."
            ).urgency
            == "urgent"
        )
    finally:
        triage._classifier.cache_clear()


def always_urgent(text, category):
    return {"urgency": "urgent", "score": 0.99}


def test_reports_of_the_same_place_time_and_topic_merge_into_one_case_and_unmerge(
    make_report, kapolsek_jb
):
    first = make_report(reporter_contact="0811111111")
    second = make_report(
        reporter_contact="0822222222", description="Spanduk di Jl Topaz dirobek-robek semalam."
    )
    other_topic = make_report(
        category="money_politics", description="Pembagian amplop di pos ronda RT 05 sore ini."
    )
    # Intake stores the reports at once; the worker's batch merges them.
    assert Report.objects.filter(pk__in=[first.pk, second.pk], intake_pending=True).count() == 2
    assert actions.process_intake() == 3
    assert actions.process_intake() == 0  # idempotent: nothing left pending
    second.refresh_from_db()
    other_topic.refresh_from_db()
    assert second.merged_into_id == first.pk and other_topic.merged_into_id is None
    assert not second.intake_pending and not other_topic.intake_pending
    assert [e.data for e in first.events.filter(kind=EventKind.MERGE)] == [
        {"merged": second.ticket}
    ]
    assert [e.data for e in second.events.filter(kind=EventKind.MERGE, public=True)] == [
        {"into": first.ticket}
    ]
    assert AuditEntry.objects.filter(
        object_type="reports.report",
        object_id=str(second.pk),
        changes__merged_into=[None, first.pk],
    ).exists()
    assert {r.reporter_hash for r in [first, second]} == {
        actions.reporter_hash("0811111111"),
        actions.reporter_hash("0822222222"),
    }  # every reporter is kept
    actions.do_unmerge(kapolsek_jb, second, "beda kejadian")
    second.refresh_from_db()
    assert second.merged_into_id is None


def test_intake_is_one_insert_and_the_worker_writes_the_created_event_and_audit_entry(client, db):
    body = {
        "category": "intimidation",
        "description": "Warga RT 05 diancam agar memilih calon tertentu.",
        "lat": -6.1762,
        "lon": 106.8554,
        "reporter_contact": "0812 1111 2222",
    }
    r = client.post("/api/v1/reports", body, content_type="application/json",
                    REMOTE_ADDR="10.1.2.3")  # fmt: skip
    assert r.status_code == 201, r.content
    report = Report.objects.get(ticket=r.json()["ticket"])
    # Stored, not yet processed: the event and the entry are owed, not lost.
    assert report.intake_pending and report.intake_meta["actor"]["ip"] == "10.1.2.3"
    assert not report.events.exists()
    assert not AuditEntry.objects.filter(object_type="reports.report", object_id=str(report.pk))
    owed = report.timeline()
    assert [e.kind for e in owed] == [EventKind.CREATED] and owed[0].pk is None
    public = client.get(f"/api/v1/reports/status/{report.ticket}").json()
    assert [e["text"] for e in public["events"]] == ["Laporan diterima."]

    assert actions.process_intake() == 1
    assert actions.process_intake() == 0
    report.refresh_from_db()
    assert not report.intake_pending and report.intake_meta == {}
    (created,) = report.events.all()
    assert created.kind == EventKind.CREATED and created.public and created.actor_id is None
    assert created.data["routing"] == "gps" and created.note == owed[0].note
    assert created.at == owed[0].at  # the time of intake, not of the worker's batch
    (entry,) = AuditEntry.objects.filter(object_type="reports.report", object_id=str(report.pk))
    assert entry.action == "create" and entry.ip == "10.1.2.3" and entry.source == "api"
    assert entry.at == created.at
    assert entry.changes["ticket"] == [None, report.ticket]
    assert entry.changes["kelurahan"] == [None, "31.71.08.1003"]
    assert not {"intake_meta", "reporter_contact_enc", "reporter_name_enc"} & set(entry.changes)
    assert [e["text"] for e in client.get(f"/api/v1/reports/status/{report.ticket}").json()[
        "events"]] == ["Laporan diterima."]  # fmt: skip


def test_an_operator_entry_is_audited_as_the_operator(db, kapolsek_jb):
    from sejuk.accounts import audit

    data = ReportInput(channel="call_110", category="crowd", kelurahan="31.71.08.1003",
                       description="Penelepon: massa berkumpul di depan kantor kelurahan.")  # fmt: skip
    with audit.acting_as(audit.actor_for_user(kapolsek_jb, ip="10.9.9.9", source="web")):
        report = create_report(data, actor=kapolsek_jb)
    assert report.timeline()[0].actor_label == kapolsek_jb.display_name()
    actions.process_intake()
    (created,) = report.events.all()
    assert created.actor_id == kapolsek_jb.pk
    entry = AuditEntry.objects.get(object_type="reports.report", object_id=str(report.pk))
    assert (entry.actor_id, entry.actor_username, entry.ip) == (
        kapolsek_jb.pk, kapolsek_jb.username, "10.9.9.9"
    )  # fmt: skip


def test_a_repeated_key_inside_a_callers_transaction_keeps_that_transaction_usable(
    make_report, galur
):
    from django.db import transaction

    first = make_report(client_key="wa:abc123")
    with transaction.atomic():
        again = make_report(client_key="wa:abc123")
        galur.refresh_from_db()  # the caller's transaction still works
    assert again.pk == first.pk and getattr(again, "already_existed", False)
    assert Report.objects.filter(client_key="wa:abc123").count() == 1


def test_a_pending_report_stored_without_intake_meta_gets_no_second_created_event(make_report):
    r = make_report()
    # As stored before intake_meta existed: its event was written with it.
    Report.objects.filter(pk=r.pk).update(intake_meta={})
    from sejuk.reports.models import ReportEvent

    ReportEvent.objects.create(report=r, kind=EventKind.CREATED, public=True)
    actions.process_intake()
    assert r.events.filter(kind=EventKind.CREATED).count() == 1


def test_duplicates_within_one_intake_batch_merge_into_the_earliest(make_report):
    reports = [
        make_report(reporter_contact=f"08123400{i:04d}", description=f"Spanduk dirobek, saksi {i}.")
        for i in range(4)
    ]
    elsewhere = make_report(lat=-6.1865, lon=106.8330)  # Tanah Tinggi: another kelurahan
    assert actions.process_intake(limit=2) == 5  # three batches of at most two
    merged = dict(
        Report.objects.filter(pk__in=[r.pk for r in reports]).values_list("pk", "merged_into")
    )
    assert merged == {reports[0].pk: None, **{r.pk: reports[0].pk for r in reports[1:]}}
    elsewhere.refresh_from_db()
    assert elsewhere.merged_into_id is None


def test_the_intake_tick_finishes_pending_reports_and_schedules_itself(make_report, galur):
    from django_tasks_db.models import DBTaskResult

    r = make_report()
    assert intake_tick.call() == 1
    r.refresh_from_db()
    assert not r.intake_pending and galur.notifications.filter(report=r).count() == 1
    assert (
        DBTaskResult.objects.filter(task_path=intake_tick.module_path, status="READY").count() == 1
    )
    assert intake_tick.call(reschedule=False) == 0  # a restarted worker: nothing twice
    assert galur.notifications.filter(report=r).count() == 1


def test_reporter_identity_is_encrypted_at_rest(make_report):
    r = make_report(reporter_contact="0812 3456 7890", reporter_name="Siti Aminah")
    with connection.cursor() as cur:
        cur.execute(
            "SELECT reporter_name_enc, reporter_contact_enc FROM reports_report WHERE id = %s",
            [r.pk],
        )
        name_enc, contact_enc = cur.fetchone()
    assert "Siti" not in name_enc and "0812" not in contact_enc and "3456" not in contact_enc
    from sejuk.lib.crypto import decrypt

    assert decrypt(contact_enc) == "0812 3456 7890"


def test_anonymous_reports_store_no_identity(make_report):
    r = make_report(anonymous=True, reporter_contact="0812999", reporter_name="X")
    assert r.reporter_contact_enc == "" and r.reporter_name_enc == "" and r.reporter_hash == ""


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"category": "gosip"}, "category"),
        ({"description": "pendek"}, "description"),
        ({"lat": -6.17, "lon": None}, "location"),
        ({"lat": 95.0, "lon": 106.0}, "location"),
        ({"reporter_contact": "abc"}, "reporter_contact"),
        ({"kelurahan": "31.71.08"}, "kelurahan"),
    ],
)
def test_bad_input_is_refused_with_field_errors(db, over, field):
    data = {"category": "other", "description": "Kejadian mencurigakan di sekitar TPS."}
    data.update(over)
    with pytest.raises(ReportError) as err:
        create_report(ReportInput(**data))
    assert field in err.value.errors


def test_api_bad_input_is_422_never_500(client, db):
    for body in [
        {"category": "gosip", "description": "Kejadian mencurigakan di sekitar TPS."},
        {"category": "other", "description": "x"},
        {
            "category": "other",
            "description": "Kejadian mencurigakan di sekitar TPS.",
            "lat": 200,
            "lon": 1,
        },
        {},
    ]:
        r = client.post("/api/v1/reports", body, content_type="application/json")
        assert r.status_code == 422, (body, r.content)
    r = client.post("/api/v1/reports", b"{oops", content_type="application/json")
    assert r.status_code in (400, 422)


def test_a_client_key_makes_intake_idempotent(client, db):
    body = {
        "category": "other",
        "description": "Kejadian mencurigakan di sekitar TPS 11.",
        "client_key": "abc-123",
    }
    a = client.post("/api/v1/reports", body, content_type="application/json")
    b = client.post("/api/v1/reports", body, content_type="application/json")
    assert a.status_code == 201 and b.status_code == 200 and a.json() == b.json()
    assert Report.objects.filter(client_key="abc-123").count() == 1


def test_public_intake_is_rate_limited_per_ip_and_per_phone(client, db, settings):
    settings.SEJUK_PUBLIC_REPORTS_PER_HOUR_IP = 100
    settings.SEJUK_PUBLIC_REPORTS_PER_DAY_PHONE = 2
    body = {
        "category": "other",
        "description": "Kejadian mencurigakan di sekitar TPS.",
        "reporter_contact": "08129998887",
    }
    codes = [
        client.post("/api/v1/reports", body, content_type="application/json").status_code
        for _ in range(3)
    ]
    assert codes == [201, 201, 429]
    r = client.post("/api/v1/reports", body, content_type="application/json")
    assert "Terlalu banyak laporan" in r.json()["detail"]
    settings.SEJUK_PUBLIC_REPORTS_PER_HOUR_IP = 1
    other = dict(body, reporter_contact="")
    assert (
        client.post(
            "/api/v1/reports", other, content_type="application/json", REMOTE_ADDR="10.0.0.9"
        ).status_code
        == 201
    )
    assert (
        client.post(
            "/api/v1/reports", other, content_type="application/json", REMOTE_ADDR="10.0.0.9"
        ).status_code
        == 429
    )


def test_new_reports_notify_the_officer_and_the_polsek(
    make_report, galur, kapolsek_jb, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        r = make_report()
    assert not galur.notifications.filter(report=r).exists()  # not before the intake batch
    actions.process_intake()
    assert galur.notifications.filter(report=r, kind="new_report").exists()
    assert kapolsek_jb.notifications.filter(report=r).exists()
    assert r.status == Status.RECEIVED

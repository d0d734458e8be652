"""The report pages: the resident's /lapor/ pages and the staff /reports/ pages
(roles, scoping, privacy, audit, form errors, bounded queries)."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image, ImageDraw
from PIL.TiffImagePlugin import IFDRational

from sejuk.accounts.models import AuditAction, AuditEntry, User
from sejuk.lib.images import has_gps_exif
from sejuk.reports import actions
from sejuk.reports.api import LIMIT_MESSAGE
from sejuk.reports.models import Channel, EventKind, Notification, Report, ReportPhoto, Status

GALUR = "31.71.08.1003"
TANAH_TINGGI = "31.71.08.1004"
GALUR_POINT = (-6.1762, 106.8554)
PHONE = "0812 3456 7890"
SECRET_NOTE = "Catatan internal: pelapor adalah kerabat salah satu paslon"


# --- helpers -----------------------------------------------------------------------


def gps_jpeg(size: tuple[int, int] = (800, 600)) -> bytes:
    """A real camera-like JPEG with a GPS position in its EXIF."""
    img = Image.new("RGB", size, (11, 110, 79))
    draw = ImageDraw.Draw(img)
    draw.rectangle((100, 100, 400, 300), fill=(250, 250, 250))
    draw.ellipse((420, 200, 700, 500), fill=(200, 60, 40))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Acme Optics"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "S"
    gps[ExifTags.GPS.GPSLatitude] = (IFDRational(6, 1), IFDRational(10, 1), IFDRational(34, 1))
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (IFDRational(106, 1), IFDRational(51, 1), IFDRational(19, 1))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90, exif=exif)
    data = buf.getvalue()
    assert has_gps_exif(data)
    return data


def form_data(**over) -> dict:
    data = {
        "category": "vandalism",
        "description": "Spanduk paslon di Jalan Topaz dirusak orang tak dikenal tadi malam.",
        "lat": str(GALUR_POINT[0]),
        "lon": str(GALUR_POINT[1]),
        "address_text": "Jl. Topaz RT 05 RW 02",
        "reporter_name": "Siti Aminah",
        "reporter_contact": PHONE,
        "client_key": "k-" + "0" * 30,
    }
    data.update(over)
    return data


def ticket_from(response) -> str:
    m = re.match(r"^/lapor/tiket/([A-Z0-9-]+)/", response["Location"])
    assert m, response["Location"]
    return m.group(1)


def user(username: str) -> User:
    return User.objects.get(username=username)


@pytest.fixture
def humas(db):
    return user("humas.jakpus")


@pytest.fixture
def operator110(db):
    return user("operator110.jakpus")


@pytest.fixture
def report(make_report):
    return make_report()


# --- the resident's pages -------------------------------------------------------------


def test_the_public_form_renders_for_anyone_with_a_fresh_client_key(client, db):
    r1 = client.get("/lapor/")
    r2 = client.get("/lapor/")
    assert r1.status_code == 200
    body = r1.content.decode()
    assert 'name="client_key"' in body and 'type="file"' in body and 'accept="image/*"' in body
    assert 'data-testid="pick-map"' in body and "rp-map-data" in body
    keys = [
        re.search(r'name="client_key" value="([^"]+)"', r.content.decode()).group(1)
        for r in (r1, r2)
    ]
    assert keys[0] != keys[1], "two visitors must never share an idempotency key"
    assert "no-store" in r1["Cache-Control"]
    # Kelurahan outlines of the covered territory are embedded for the map.
    assert '"kode": "31.71.08.1003"' in body


def test_a_resident_files_a_report_with_a_photo_and_its_gps_exif_is_stripped(client, db):
    photo = SimpleUploadedFile("IMG_0001.jpg", gps_jpeg(), content_type="image/jpeg")
    r = client.post("/lapor/", {**form_data(), "photos": [photo]})
    assert r.status_code == 302, r.content.decode()[:2000]
    ticket = ticket_from(r)
    assert r["Location"].endswith("?baru=1")
    report = Report.objects.get(ticket=ticket)
    assert report.channel == Channel.WEB
    assert report.kelurahan_id == GALUR and report.assigned_officer.name == "Baktiar Emri"
    assert PHONE not in report.reporter_contact_enc and "Siti" not in report.reporter_name_enc
    (stored,) = report.photos.all()
    with stored.image.open("rb") as fh:
        data = fh.read()
    assert data[:2] == b"\xff\xd8" and not has_gps_exif(data)

    page = client.get(r["Location"])
    assert page.status_code == 200
    body = page.content.decode()
    assert ticket in body and 'data-testid="received-banner"' in body
    assert PHONE not in body and "Siti" not in body


def test_a_double_submit_with_the_same_client_key_makes_one_report(client, db):
    first = client.post("/lapor/", form_data(client_key="double-submit-key-1"))
    second = client.post("/lapor/", form_data(client_key="double-submit-key-1"))
    assert first.status_code == second.status_code == 302
    assert ticket_from(first) == ticket_from(second)
    assert Report.objects.filter(client_key="double-submit-key-1").count() == 1


def test_an_anonymous_report_needs_no_name_and_keeps_none(client, db):
    r = client.post(
        "/lapor/",
        form_data(anonymous="on", reporter_name="Tidak Dipakai", client_key="anon-1"),
    )
    assert r.status_code == 302
    report = Report.objects.get(ticket=ticket_from(r))
    assert report.anonymous and report.reporter_hash == ""
    assert actions.crypto.decrypt(report.reporter_name_enc) == ""


def test_without_anonymity_name_and_phone_are_required(client, db):
    r = client.post("/lapor/", form_data(reporter_name="", reporter_contact="", client_key="x1"))
    assert r.status_code == 422
    assert Report.objects.count() == 0
    assert 'data-testid="form-errors"' in r.content.decode()


def test_a_file_that_is_not_a_photo_is_refused_by_its_content(client, db):
    fake = SimpleUploadedFile(
        "foto.jpg", b"%PDF-1.4 not a photo at all" * 20, content_type="image/jpeg"
    )
    r = client.post("/lapor/", {**form_data(client_key="pdf-1"), "photos": [fake]})
    assert r.status_code == 422
    assert Report.objects.count() == 0
    assert "JPEG, PNG" in r.content.decode()


def test_public_intake_is_rate_limited_with_the_indonesian_message(client, db, settings):
    settings.SEJUK_PUBLIC_REPORTS_PER_HOUR_IP = 2
    for i in range(2):
        assert (
            client.post("/lapor/", form_data(client_key=f"rl-{i}", anonymous="on")).status_code
            == 302
        )
    r = client.post("/lapor/", form_data(client_key="rl-3", anonymous="on"))
    assert r.status_code == 429
    body = r.content.decode()
    assert LIMIT_MESSAGE in body and "Terlalu banyak laporan" in body
    # The resident's text is kept on the page, nothing was created.
    assert "Spanduk paslon di Jalan Topaz" in body
    assert Report.objects.count() == 2


def test_status_lookups_are_rate_limited(client, report, settings):
    settings.SEJUK_STATUS_LOOKUPS_PER_MINUTE_IP = 1
    assert client.get(f"/lapor/tiket/{report.ticket}/").status_code == 200
    r = client.get(f"/lapor/tiket/{report.ticket}/")
    assert r.status_code == 429 and "Terlalu banyak permintaan" in r.content.decode()


def test_the_status_page_shows_public_events_and_never_internal_notes(client, report, galur):
    actions.do_add_note(galur, report, SECRET_NOTE, public=False)
    actions.do_verify(galur, report, "cek lapangan: internal")
    actions.do_add_note(galur, report, "Petugas akan datang sore ini.", public=True)
    r = client.get(f"/lapor/tiket/{report.ticket}/")
    assert r.status_code == 200
    body = r.content.decode()
    assert "Petugas akan datang sore ini." in body
    assert "Laporan Anda sudah diverifikasi petugas." in body
    assert SECRET_NOTE not in body and "cek lapangan" not in body
    assert PHONE not in body and "Siti" not in body
    assert "<script" not in body.split("</header>", 1)[1], "the status page needs no JavaScript"


def test_tickets_are_found_however_they_are_typed(client, report):
    loose = report.ticket.lower().replace("-", "")
    r = client.get("/lapor/cek/", {"tiket": loose})
    assert r.status_code == 302 and r["Location"] == f"/lapor/tiket/{report.ticket}/"
    r = client.get(f"/lapor/tiket/{loose}/")
    assert r.status_code == 302 and r["Location"] == f"/lapor/tiket/{report.ticket}/"
    assert client.get("/lapor/cek/", {"tiket": "hello"}).status_code == 422
    assert client.get("/lapor/tiket/ACDE-FHJK/").status_code == 404


def test_the_reporter_rates_and_reopens_a_resolved_report(client, report, galur):
    actions.do_verify(galur, report)
    actions.do_resolve(galur, report, "Spanduk sudah diganti dan pelaku diimbau.")
    page = client.get(f"/lapor/tiket/{report.ticket}/").content.decode()
    assert "Spanduk sudah diganti dan pelaku diimbau." in page
    assert 'data-testid="rate-form"' in page and 'data-testid="reopen-form"' in page

    assert client.post(f"/lapor/tiket/{report.ticket}/nilai/", {"rating": "9"}).status_code == 422
    r = client.post(f"/lapor/tiket/{report.ticket}/nilai/", {"rating": "4", "comment": "cepat"})
    assert r.status_code == 302
    report.refresh_from_db()
    assert report.rating == 4
    assert client.post(f"/lapor/tiket/{report.ticket}/nilai/", {"rating": "5"}).status_code == 422

    assert (
        client.post(f"/lapor/tiket/{report.ticket}/buka-lagi/", {"reason": ""}).status_code == 422
    )
    r = client.post(
        f"/lapor/tiket/{report.ticket}/buka-lagi/", {"reason": "Spanduknya dirusak lagi"}
    )
    assert r.status_code == 302
    report.refresh_from_db()
    assert report.status == Status.IN_FOLLOW_UP


# --- staff pages: who sees what ------------------------------------------------------------


@pytest.mark.parametrize("path", ["/reports/", "/reports/board/", "/reports/search/"])
def test_staff_lists_need_a_login(client, db, path):
    r = client.get(path)
    assert r.status_code == 302 and r["Location"].startswith("/login/")


@pytest.mark.parametrize("who", ["galur", "tanahtinggi", "kapolsek_jb", "kapolres", "admin_demo"])
@pytest.mark.parametrize(
    "path", ["/reports/", "/reports/board/", "/reports/search/", "/reports/notifications/"]
)
def test_handlers_open_the_lists(request, client_for, report, who, path):
    r = client_for(request.getfixturevalue(who)).get(path)
    assert r.status_code == 200


def test_the_galur_report_is_in_the_galur_queue_only(client_for, report, galur, tanahtinggi):
    assert report.ticket in client_for(galur).get("/reports/").content.decode()
    assert report.ticket not in client_for(tanahtinggi).get("/reports/").content.decode()


def test_humas_and_analysts_do_not_get_the_report_pages(client_for, report, humas):
    c = client_for(humas)
    for path in ("/reports/", "/reports/board/", f"/reports/{report.pk}/", "/reports/operator/"):
        assert c.get(path).status_code == 404, path
    r = c.post(f"/reports/{report.pk}/reporter/")
    assert r.status_code in (403, 404)
    assert not AuditEntry.objects.filter(action=AuditAction.VIEW, object_id=str(report.pk)).exists()
    assert c.get("/reports/notifications/").status_code == 200


def test_the_operator_page_is_for_the_110_operator_and_commanders(
    client_for, operator110, kapolsek_jb, kapolres, galur
):
    assert client_for(operator110).get("/reports/operator/").status_code == 200
    assert client_for(kapolsek_jb).get("/reports/operator/").status_code == 200
    assert client_for(kapolres).get("/reports/operator/").status_code == 200
    assert client_for(galur).get("/reports/operator/").status_code == 404


def test_the_board_groups_by_status_with_sla_badges(make_report, client_for, kapolsek_jb, galur):
    a = make_report()
    b = make_report(category="money_politics", client_key="b")
    actions.do_verify(galur, b)
    body = client_for(kapolsek_jb).get("/reports/board/").content.decode()
    received = body.split('data-testid="column-received"')[1].split("</section>")[0]
    verified = body.split('data-testid="column-verified"')[1].split("</section>")[0]
    assert a.ticket in received and b.ticket in verified
    assert "rp-sla-on_time" in received
    filtered = client_for(kapolsek_jb).get("/reports/board/", {"category": "money_politics"})
    assert a.ticket not in filtered.content.decode() and b.ticket in filtered.content.decode()


def test_the_polres_board_has_the_triage_queue(make_report, client_for, kapolres, kapolsek_jb):
    lost = make_report(
        lat=None, lon=None, address_text="", description="Ada yang menyebar hoaks di grup WA warga."
    )
    assert lost.kelurahan_id is None
    body = client_for(kapolres).get("/reports/board/").content.decode()
    triage = body.split('data-testid="triage"')[1].split("</section>")[0]
    assert lost.ticket in triage
    assert (
        'data-testid="triage"'
        not in client_for(kapolsek_jb).get("/reports/board/").content.decode()
    )


def test_search_finds_archived_reports_by_ticket_and_text(make_report, client_for, galur):
    r = make_report()
    actions.do_verify(galur, r)
    actions.do_resolve(galur, r, "selesai")
    Report.objects.filter(pk=r.pk).update(archived=True)
    c = client_for(galur)
    assert r.ticket not in c.get("/reports/").content.decode()
    assert r.ticket in c.get("/reports/search/", {"q": r.ticket.lower()}).content.decode()
    assert r.ticket in c.get("/reports/search/", {"q": "Jalan Topaz"}).content.decode()
    assert r.ticket in c.get("/reports/search/", {"status": "resolved"}).content.decode()
    assert r.ticket not in c.get("/reports/search/", {"status": "received"}).content.decode()


# --- the report page -------------------------------------------------------------------


def test_the_report_page_shows_timeline_map_and_allowed_actions(client_for, report, galur):
    actions.do_add_note(galur, report, SECRET_NOTE)
    r = client_for(galur).get(f"/reports/{report.pk}/")
    assert r.status_code == 200
    body = r.content.decode()
    assert report.ticket in body and SECRET_NOTE in body and "rp-vis-internal" in body
    assert '"point": [-6.1762, 106.8554]' in body and '"kode": "31.71.08.1003"' in body
    for action in ("verify", "reject", "note", "reroute"):
        assert f'data-testid="action-{action}"' in body, action
    assert 'data-testid="action-resolve"' not in body  # not before it is verified


def test_another_kelurahans_officer_gets_404_for_the_page_and_the_reporter(
    client_for, report, tanahtinggi
):
    c = client_for(tanahtinggi)
    assert c.get(f"/reports/{report.pk}/").status_code == 404
    assert c.post(f"/reports/{report.pk}/reporter/").status_code == 404
    assert c.post(f"/reports/{report.pk}/act/verify/", {}).status_code == 404


def test_the_galur_officer_sees_the_phone_only_after_the_button_and_it_is_audited(
    client_for, report, galur
):
    c = client_for(galur)
    page = c.get(f"/reports/{report.pk}/").content.decode()
    assert PHONE not in page and "Siti" not in page
    assert 'data-testid="show-reporter"' in page
    assert not AuditEntry.objects.filter(action=AuditAction.VIEW, object_id=str(report.pk)).exists()

    r = c.post(f"/reports/{report.pk}/reporter/")
    assert r.status_code == 200
    body = r.content.decode()
    assert PHONE in body and "Siti" in body
    assert r["Cache-Control"] == "no-store"
    entry = AuditEntry.objects.get(action=AuditAction.VIEW, object_id=str(report.pk))
    assert entry.actor_username == "galur" and entry.object_type == "reports.report"
    assert entry.changes == {"fields": ["reporter_contact", "reporter_name"]}


def test_reject_without_a_reason_is_422(client_for, report, galur):
    r = client_for(galur).post(f"/reports/{report.pk}/act/reject/", {"reason": "  "})
    assert r.status_code == 422
    assert "penolakan harus disertai alasan" in r.content.decode()
    report.refresh_from_db()
    assert report.status == Status.RECEIVED


def test_resolve_without_a_note_is_422(client_for, report, galur):
    c = client_for(galur)
    assert c.post(f"/reports/{report.pk}/act/verify/", {}).status_code == 302
    r = c.post(f"/reports/{report.pk}/act/resolve/", {"note": ""})
    assert r.status_code == 422
    assert "penutupan harus disertai catatan penyelesaian" in r.content.decode()
    report.refresh_from_db()
    assert report.status == Status.VERIFIED


def test_the_whole_loop_through_the_pages_with_a_proof_photo(client_for, report, galur):
    c = client_for(galur)
    url = f"/reports/{report.pk}/act"
    assert c.post(f"{url}/verify/", {"note": "dicek"}).status_code == 302
    assert c.post(f"{url}/follow_up/", {"officer": galur.officer_id}).status_code == 302
    assert c.post(f"{url}/on_scene/", {}).status_code == 302
    assert c.post(f"{url}/note/", {"note": "Warga ditemui", "public": "on"}).status_code == 302
    proof = SimpleUploadedFile("bukti.jpg", gps_jpeg((640, 480)), content_type="image/jpeg")
    r = c.post(f"{url}/resolve/", {"note": "Spanduk diganti baru.", "proof": proof})
    assert r.status_code == 302 and r["Location"] == f"/reports/{report.pk}/"
    report.refresh_from_db()
    assert (
        report.status == Status.RESOLVED
        and report.on_scene_at
        and report.assigned_officer_id == galur.officer_id
    )
    assert report.events.get(kind=EventKind.NOTE, note="Warga ditemui").public
    proof_photo = ReportPhoto.objects.get(report=report, is_proof=True)
    assert c.get(f"/reports/photos/{proof_photo.pk}.jpg").status_code == 200
    # A stale form (resolve again) explains itself instead of failing silently.
    again = c.post(f"{url}/resolve/", {"note": "lagi"})
    assert again.status_code == 422 and "Tidak bisa lagi" in again.content.decode()


def test_photos_are_served_only_in_scope(client, client_for, report, galur, tanahtinggi):
    actions.do_verify(galur, report)
    actions.do_resolve(galur, report, "selesai", gps_jpeg((320, 240)))
    p = ReportPhoto.objects.get(report=report)
    assert client_for(tanahtinggi).get(f"/reports/photos/{p.pk}.jpg").status_code == 404
    r = client_for(galur).get(f"/reports/photos/{p.pk}.jpg")
    assert r.status_code == 200 and r["Content-Type"] == "image/jpeg"
    assert "private" in r["Cache-Control"]


def test_rerouting_keeps_received_at_and_ack_due_at(client_for, report, kapolsek_jb):
    before = (report.received_at, report.ack_due_at, report.scene_due_at)
    c = client_for(kapolsek_jb)
    url = f"/reports/{report.pk}/act/reroute/"
    assert c.post(url, {"kelurahan": TANAH_TINGGI, "reason": ""}).status_code == 422
    r = c.post(url, {"kelurahan": TANAH_TINGGI, "reason": "Lokasi sebenarnya di Tanah Tinggi"})
    assert r.status_code == 302
    report.refresh_from_db()
    assert report.kelurahan_id == TANAH_TINGGI and report.located_by == "reroute"
    assert (report.received_at, report.ack_due_at, report.scene_due_at) == before
    assert report.events.filter(kind=EventKind.REROUTE).exists()


def test_the_galur_officer_loses_a_report_he_moves_away(client_for, report, galur):
    r = client_for(galur).post(
        f"/reports/{report.pk}/act/reroute/",
        {"kelurahan": TANAH_TINGGI, "reason": "Salah kelurahan"},
    )
    assert r.status_code == 302 and r["Location"] == "/reports/"


def test_the_110_operator_cannot_verify_but_can_add_a_note(client_for, report, operator110):
    c = client_for(operator110)
    assert c.post(f"/reports/{report.pk}/act/verify/", {}).status_code == 403
    assert (
        c.post(f"/reports/{report.pk}/act/note/", {"note": "Penelepon menelepon lagi"}).status_code
        == 302
    )


def test_handoff_then_agency_accepted(client_for, report, galur):
    c = client_for(galur)
    url = f"/reports/{report.pk}/act"
    c.post(f"{url}/verify/", {})
    assert c.post(f"{url}/handoff/", {"agency": "nope"}).status_code == 422
    assert (
        c.post(
            f"{url}/handoff/", {"agency": "bawaslu", "detail": "Panwascam Johar Baru"}
        ).status_code
        == 302
    )
    assert c.post(f"{url}/agency_accepted/", {}).status_code == 302
    report.refresh_from_db()
    assert report.status == Status.HANDED_OFF and report.agency_accepted_at and report.archived


def test_merge_and_unmerge_through_the_page(make_report, client_for, galur, kapolsek_gambir):
    primary = make_report()
    other = make_report(
        category="intimidation", description="Warga diancam agar memilih paslon tertentu."
    )
    c = client_for(galur)
    url = f"/reports/{other.pk}/act"
    assert c.post(f"{url}/merge/", {"into_ticket": "ACDE-FHJK"}).status_code == 422
    assert c.post(f"{url}/merge/", {"into_ticket": primary.ticket.lower()}).status_code == 302
    other.refresh_from_db()
    assert other.merged_into_id == primary.pk
    assert other.ticket in c.get(f"/reports/{primary.pk}/").content.decode()
    assert c.post(f"{url}/unmerge/", {}).status_code == 302
    other.refresh_from_db()
    assert other.merged_into_id is None


# --- the 110 operator -------------------------------------------------------------------


def test_operator_entry_creates_a_call_110_report_routed_by_the_picked_kelurahan(
    client_for, operator110
):
    c = client_for(operator110)
    page = c.get("/reports/operator/").content.decode()
    key = re.search(r'name="client_key" value="([^"]+)"', page).group(1)
    assert "autofocus" in page
    data = {
        "category": "money_politics",
        "caller_name": "Pak Budi",
        "caller_phone": "0813 1111 2222",
        "kelurahan_q": "Galur",
        "kelurahan": GALUR,
        "address_text": "dekat pos RW 02",
        "description": "Penelepon melihat pembagian amplop di pos RW 02.",
        "client_key": key,
    }
    r = c.post("/reports/operator/", data)
    assert r.status_code == 302, r.content.decode()[:3000]
    report = Report.objects.get(client_key=key)
    assert report.channel == Channel.CALL_110 and report.created_by == operator110
    assert report.kelurahan_id == GALUR and report.located_by == "operator"
    assert (
        report.assigned_officer.name == "Baktiar Emri" and report.polsek.code == "polsek-johar-baru"
    )
    assert c.post("/reports/operator/", data).status_code == 302  # a second Enter: still one
    assert Report.objects.filter(client_key=key).count() == 1

    done = c.get(r["Location"]).content.decode()
    saved = done.split('data-testid="saved"')[1].split("</section>")[0]
    assert (
        report.ticket in saved
        and "Galur" in saved
        and "Baktiar Emri" in saved
        and "Johar Baru" in saved
    )


def test_operator_entry_without_javascript_accepts_a_typed_kelurahan_name(client_for, operator110):
    r = client_for(operator110).post(
        "/reports/operator/",
        {
            "category": "crowd",
            "kelurahan_q": "galur",
            "description": "Massa berkumpul di depan kantor kelurahan sekarang.",
            "client_key": "op-nojs",
        },
    )
    assert r.status_code == 302
    report = Report.objects.get(client_key="op-nojs")
    assert report.kelurahan_id == GALUR and report.urgency == "urgent"


def test_operator_cannot_pick_a_kelurahan_outside_the_territory(client_for, kapolsek_gambir):
    r = client_for(kapolsek_gambir).post(
        "/reports/operator/",
        {
            "category": "other",
            "kelurahan": GALUR,
            "description": "Penelepon melaporkan keributan kecil.",
            "client_key": "op-out",
        },
    )
    assert r.status_code == 422
    assert not Report.objects.filter(client_key="op-out").exists()


def test_operator_errors_from_the_action_come_back_on_the_form(client_for, operator110):
    r = client_for(operator110).post(
        "/reports/operator/",
        {
            "category": "other",
            "description": "pendek",
            "coordinates": "abc",
            "client_key": "op-bad",
        },
    )
    assert r.status_code == 422
    body = r.content.decode()
    assert "lat, lon" in body


def test_kelurahan_search_is_scoped_unless_wide(client_for, operator110, galur):
    rows = client_for(operator110).get("/reports/kelurahan-search", {"q": "gal"}).json()["results"]
    assert {"kode": GALUR, "nama": "Galur", "kecamatan": "Johar Baru"} in rows
    mine = client_for(galur).get("/reports/kelurahan-search", {"q": "tanah"}).json()["results"]
    assert mine == []
    wide = (
        client_for(galur)
        .get("/reports/kelurahan-search", {"q": "tanah tinggi", "wide": "1"})
        .json()
    )
    assert TANAH_TINGGI in {r["kode"] for r in wide["results"]}


# --- notifications ------------------------------------------------------------------------


def test_notifications_page_and_mark_as_read(client_for, report, galur, tanahtinggi):
    # Intake already told galur about `report`; start from a clean slate.
    Notification.objects.filter(user=galur).delete()
    n = Notification.objects.create(
        user=galur, report=report, kind="new_report", text="Laporan baru", dedupe_key="t1"
    )
    Notification.objects.create(
        user=tanahtinggi, kind="x", text="bukan untuk galur", dedupe_key="t2"
    )
    c = client_for(galur)
    body = c.get("/reports/notifications/").content.decode()
    assert "Laporan baru" in body and "bukan untuk galur" not in body
    assert 'data-testid="unread-count"' in body
    r = c.post("/reports/notifications/read/", {"id": n.pk, "report": report.pk})
    assert r.status_code == 302 and r["Location"] == f"/reports/{report.pk}/"
    n.refresh_from_db()
    assert n.read_at is not None
    assert 'data-testid="unread-count"' not in c.get("/reports/notifications/").content.decode()


@pytest.mark.parametrize("bad", ["9" * 30, "\u00b2", "-1", ""])
def test_malformed_ids_in_notifications_and_operator_are_ignored_not_a_500(
    client_for, report, galur, operator110, bad
):
    Notification.objects.filter(user=galur).delete()
    n = Notification.objects.create(
        user=galur, report=report, kind="new_report", text="Laporan baru", dedupe_key="t1"
    )
    c = client_for(galur)
    r = c.post("/reports/notifications/read/", {"id": [bad, n.pk], "report": bad})
    assert r.status_code == 302 and r["Location"] == "/reports/notifications/"
    n.refresh_from_db()
    assert n.read_at is not None
    r = client_for(operator110).get("/reports/operator/", {"saved": bad})
    assert r.status_code == 200


# --- bounded queries ----------------------------------------------------------------------


@pytest.fixture
def many_reports(make_report, galur, settings):
    settings.SEJUK_DUPLICATE_WINDOW_MINUTES = 0  # twelve distinct cases, none merged
    out = []
    for i in range(12):
        r = make_report(
            category=["vandalism", "money_politics", "intimidation"][i % 3],
            description=f"Laporan nomor {i} tentang spanduk dan amplop di Galur.",
            lat=GALUR_POINT[0] + i * 0.0001,
            client_key=f"many-{i}",
        )
        if i % 2:
            actions.do_verify(galur, r)
        Notification.objects.create(
            user=galur, report=r, kind="new_report", text=f"n{i}", dedupe_key=f"m{i}"
        )
        out.append(r)
    return out


@pytest.mark.parametrize(
    "path", ["/reports/", "/reports/board/", "/reports/search/", "/reports/notifications/"]
)
def test_list_pages_run_a_bounded_number_of_queries(
    client_for, many_reports, kapolres, galur, django_assert_max_num_queries, path
):
    for who in (galur, kapolres):
        c = client_for(who)
        c.get(path)  # warm the session and the caches
        with django_assert_max_num_queries(16):
            assert c.get(path).status_code == 200


def test_the_report_page_runs_a_bounded_number_of_queries(
    client_for, many_reports, galur, django_assert_max_num_queries
):
    c = client_for(galur)
    c.get(f"/reports/{many_reports[0].pk}/")
    with django_assert_max_num_queries(20):
        assert c.get(f"/reports/{many_reports[0].pk}/").status_code == 200


# --- admin ------------------------------------------------------------------------------------


def test_the_admin_lists_reports_without_the_reporter_and_edits_the_sla(
    client_for, report, admin_demo
):
    c = client_for(admin_demo)
    for path in (
        "/admin/reports/report/",
        f"/admin/reports/report/{report.pk}/change/",
        "/admin/reports/slapolicy/",
        "/admin/reports/streetalias/",
        "/admin/reports/notification/",
        "/admin/reports/outboundmessage/",
    ):
        r = c.get(path)
        assert r.status_code == 200, path
        body = r.content.decode()
        assert "reporter_contact_enc" not in body and report.reporter_contact_enc not in body
    assert c.get("/admin/reports/report/add/").status_code == 403
    policy = c.get("/admin/reports/slapolicy/").content.decode()
    assert "urgent" in policy

"""Field work API: photos, titik rawan, contacts (audited), complaints."""

from __future__ import annotations

import io
import uuid

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from sejuk.accounts.models import AuditEntry, User
from sejuk.fieldwork.models import ActivityPhoto, FieldComplaint, TitikRawan
from sejuk.lib.images import has_gps_exif


def gps_jpeg() -> bytes:
    img = Image.new("RGB", (1200, 900), (40, 120, 90))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    gps = exif.get_ifd(0x8825)
    gps[1] = "S"
    gps[2] = (6.0, 10.0, 34.0)
    gps[3] = "E"
    gps[4] = (106.0, 51.0, 19.0)
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif)
    return buf.getvalue()


def synced(client, payload):
    body = payload()
    assert (
        client.post(
            "/api/v1/field/activities/sync", body, content_type="application/json"
        ).status_code
        == 201
    )
    return body["client_uuid"]


def upload(client, key, data, photo_uuid=None, name="foto.jpg"):
    return client.post(
        f"/api/v1/field/activities/{key}/photos",
        {
            "photo": SimpleUploadedFile(name, data, "image/jpeg"),
            "photo_uuid": photo_uuid or str(uuid.uuid4()),
        },
    )


def test_photos_are_stored_without_gps_exif_and_deduplicated(
    client_for, galur, payload, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client = client_for(galur)
    key = synced(client, payload)
    raw = gps_jpeg()
    assert has_gps_exif(raw)
    photo_uuid = str(uuid.uuid4())
    r = upload(client, key, raw, photo_uuid)
    assert r.status_code == 201, r.content
    photo = ActivityPhoto.objects.get(client_uuid=photo_uuid)
    stored = photo.image.read()
    assert not has_gps_exif(stored) and b"PhoneMaker" not in stored
    assert (photo.width, photo.height) == (1200, 900)
    url = r.json()["url"]
    served = client.get(url)
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    assert b"".join(served.streaming_content) == stored
    assert client_for(User.objects.get(username="tanahtinggi")).get(url).status_code == 404
    client = client_for(galur)
    again = upload(client, key, raw, photo_uuid)
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert ActivityPhoto.objects.filter(activity__client_uuid=key).count() == 1


def test_uploads_are_checked_by_content_not_name(client_for, galur, payload, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = client_for(galur)
    key = synced(client, payload)
    r = upload(client, key, b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n", name="foto.jpg")
    assert r.status_code == 422 and "PDF" in r.json()["message"]
    tiny = io.BytesIO()
    Image.new("RGB", (20, 20)).save(tiny, "JPEG")
    r = upload(client, key, tiny.getvalue())
    assert r.status_code == 422 and "too small" in r.json()["message"]
    assert not ActivityPhoto.objects.exists()


def test_a_photo_before_its_activity_is_404(client_for, galur, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    r = upload(client_for(galur), str(uuid.uuid4()), gps_jpeg())
    assert r.status_code == 404


def test_titik_rawan_crud_is_scoped_and_location_checked(client_for, galur):
    client = client_for(galur)
    body = {"name": "Posko Jl. Topaz", "category": "campaign", "kelurahan": "31.71.08.1003",
            "lat": -6.1768, "lon": 106.8538, "street": "Jl. Topaz", "rt": "04", "rw": "02",
            "vulnerability": "tinggi"}  # fmt: skip
    r = client.post("/api/v1/field/titik", body, content_type="application/json")
    assert r.status_code == 201, r.content
    tid = r.json()["id"]
    assert r.json()["address"] == "Jl. Topaz, RT 04, RW 02"
    wrong = dict(body, lat=-6.1792, lon=106.8492)  # Tanah Tinggi
    r = client.post("/api/v1/field/titik", wrong, content_type="application/json")
    assert r.status_code == 422 and "Tanah Tinggi" in r.json()["message"]
    r = client.post(
        "/api/v1/field/titik",
        dict(body, kelurahan="31.71.08.1004"),
        content_type="application/json",
    )
    assert r.status_code == 404
    r = client.post(
        "/api/v1/field/titik", dict(body, category="warung"), content_type="application/json"
    )
    assert r.status_code == 422
    r = client.post("/api/v1/field/titik", dict(body, lat="abc"), content_type="application/json")
    assert r.status_code == 422
    r = client.put(
        f"/api/v1/field/titik/{tid}",
        dict(body, vulnerability="sedang"),
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["vulnerability"] == "sedang"
    assert client.delete(f"/api/v1/field/titik/{tid}").status_code == 204
    assert not TitikRawan.objects.filter(pk=tid).exists()


def test_an_officer_cannot_read_another_kelurahans_titik(client_for, galur, titik_tanah_tinggi):
    client = client_for(galur)
    assert client.get(f"/api/v1/field/titik/{titik_tanah_tinggi.pk}").status_code == 404
    assert titik_tanah_tinggi.pk not in {t["id"] for t in client.get("/api/v1/field/titik").json()}


def test_contacts_are_scoped_and_every_view_is_audited(
    client_for, galur, contact_galur, contact_tanah_tinggi
):
    client = client_for(galur)
    rows = client.get("/api/v1/field/contacts").json()
    assert [c["id"] for c in rows] == [contact_galur.pk]
    assert AuditEntry.objects.filter(
        action="view",
        object_type="fieldwork.contact",
        object_id=str(contact_galur.pk),
        actor_username="galur",
    ).exists()
    assert client.get(f"/api/v1/field/contacts/{contact_tanah_tinggi.pk}").status_code == 404
    detail = client.get(f"/api/v1/field/contacts/{contact_galur.pk}").json()
    assert detail["phone"] == "0812000505"


def test_the_kapolsek_reads_contacts_but_humas_and_other_sectors_do_not(
    client_for, kapolsek_jb, kapolsek_gambir, contact_galur
):
    assert (
        client_for(kapolsek_jb).get(f"/api/v1/field/contacts/{contact_galur.pk}").status_code == 200
    )
    assert (
        client_for(kapolsek_gambir).get(f"/api/v1/field/contacts/{contact_galur.pk}").status_code
        == 404
    )
    humas = client_for(User.objects.get(username="humas.jakpus"))
    assert humas.get("/api/v1/field/contacts").status_code == 403


def test_contact_input_is_validated(client_for, galur):
    client = client_for(galur)
    bad = {"name": "X", "category": "ketua_rt", "role_title": "Ketua RT 01", "kelurahan": "31.71.08.1003",
           "phone": "call me maybe"}  # fmt: skip
    assert (
        client.post("/api/v1/field/contacts", bad, content_type="application/json").status_code
        == 422
    )
    good = dict(bad, phone="+62 812-000")
    assert (
        client.post("/api/v1/field/contacts", good, content_type="application/json").status_code
        == 201
    )


def test_complaint_workflow_through_the_api(client_for, galur, kapolsek_jb, payload):
    client = client_for(galur)
    key = str(uuid.uuid4())
    body = payload(complaints=[{"client_uuid": key, "summary": "Spanduk dirusak"}])
    client.post("/api/v1/field/activities/sync", body, content_type="application/json")
    c = FieldComplaint.objects.get(client_uuid=key)
    mine = client.get("/api/v1/field/complaints", {"mine": True}).json()
    assert [x["id"] for x in mine] == [c.pk]
    sector = client_for(kapolsek_jb).get("/api/v1/field/complaints").json()
    assert c.pk in {x["id"] for x in sector}
    client = client_for(galur)
    url = f"/api/v1/field/complaints/{c.pk}/transition"
    r = client.post(url, {"status": "handed_over"}, content_type="application/json")
    assert r.status_code == 422 and "handed_to" in r.json()["message"]
    r = client.post(
        url, {"status": "in_progress", "note": "dicek"}, content_type="application/json"
    )
    assert r.status_code == 200 and r.json()["status"] == "in_progress"
    r = client.post(url, {"status": "resolved"}, content_type="application/json")
    assert r.status_code == 422
    r = client.post(
        url,
        {"status": "resolved", "resolution": "Spanduk diganti"},
        content_type="application/json",
    )
    assert r.json()["status"] == "resolved"
    assert [(e["from"], e["to"]) for e in r.json()["events"]] == [
        ("", "open"),
        ("open", "in_progress"),
        ("in_progress", "resolved"),
    ]
    r = client.post(url, {"status": "open"}, content_type="application/json")
    assert r.status_code == 422


def test_bootstrap_gives_the_phone_its_day(client_for, galur, titik_galur, contact_galur):
    data = client_for(galur).get("/api/v1/field/bootstrap").json()
    assert [k["kode"] for k in data["kelurahan"]] == ["31.71.08.1003"]
    assert data["kelurahan"][0]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert [t["id"] for t in data["titik"]] == [titik_galur.pk]
    assert data["contacts"] == [
        {
            "id": contact_galur.pk,
            "name": "Ujang",
            "role_title": "Ketua RT 05 RW 02",
            "kelurahan": "31.71.08.1003",
        }
    ]
    assert "phone" not in data["contacts"][0]
    assert data["can_write"] is True and data["officer"]["nrp"] == "79110283"
    assert {t["key"] for t in data["topics"]} >= {"cooling_system", "hoaks"}


def test_the_demo_week_loads_idempotently(db):
    from sejuk.fieldwork.demo import load_demo_fieldwork
    from sejuk.fieldwork.models import Activity, Visit

    first = load_demo_fieldwork()
    counts = (Activity.objects.count(), TitikRawan.objects.count(), FieldComplaint.objects.count())
    load_demo_fieldwork()
    assert (
        Activity.objects.count(),
        TitikRawan.objects.count(),
        FieldComplaint.objects.count(),
    ) == counts
    topaz = Activity.objects.get(pk=first["topaz_activity"])
    assert topaz.location_text == "Jalan Topaz RT 05 RW 02"
    assert topaz.started_at.date().isoformat() == "2024-11-14"
    assert topaz.contacts.filter(name="Ujang").exists()
    assert "terprovokasi" in topaz.appeals
    assert topaz.complaints.count() == 3
    assert Visit.objects.filter(activity=topaz, flagged=True).count() == 1
    assert Activity.objects.filter(kelurahan_id="31.71.08.1004").exists()

"""Desktop field-work pages under /fieldwork/: roles, scoping, audit, CSV, forms."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from sejuk.accounts.models import AuditEntry, User
from sejuk.fieldwork.models import (
    Activity,
    ActivityKind,
    ActivityPhoto,
    ComplaintEvent,
    ComplaintStatus,
    Contact,
    ContactRole,
    FieldComplaint,
    SyncConflict,
    TitikCategory,
    TitikRawan,
    Visit,
    Vulnerability,
)
from sejuk.territory.models import Officer

GALUR = "31.71.08.1003"
TANAH_TINGGI = "31.71.08.1004"
GALUR_POINT = (-6.1762, 106.8554)


# --- data made in each test ------------------------------------------------------


def officer_of(kode: str) -> Officer:
    return Officer.objects.get(kelurahan__kode=kode, position="Bhabinkamtibmas")


def make_titik(kode: str = GALUR, name: str = "Pos RW 02 Jalan Topaz", **kw) -> TitikRawan:
    values = {
        "category": TitikCategory.OFFICE,
        "lat": GALUR_POINT[0],
        "lon": GALUR_POINT[1],
        "vulnerability": Vulnerability.SEDANG,
    }
    values.update(kw)
    return TitikRawan.objects.create(name=name, kelurahan_id=kode, **values)


def make_activity(kode: str = GALUR, *, officer: Officer | None = None, **kw) -> Activity:
    values = {
        "kind": ActivityKind.PATROL,
        "started_at": timezone.now() - dt.timedelta(hours=3),
        "location_text": "Jl. Topaz RT 05 RW 02",
        "people_met": "Ketua RT 05 dan warga",
        "people_count": 12,
        "topics": ["cooling_system", "hoaks"],
        "appeals": "Jangan terprovokasi isu negatif",
    }
    values.update(kw)
    a = Activity.objects.create(kelurahan_id=kode, **values)
    a.officers.set([officer or officer_of(kode)])
    return a


def make_visit(activity: Activity, titik: TitikRawan, *, distance: float = 15.0) -> Visit:
    return Visit.objects.create(
        activity=activity,
        titik=titik,
        checkin_at=activity.started_at,
        checkin_lat=titik.lat,
        checkin_lon=titik.lon,
        accuracy_m=10,
        distance_m=distance,
        flagged=distance > 200,
    )


def make_contact(kode: str = GALUR, name: str = "Ujang Sutisna", **kw) -> Contact:
    values = {
        "category": ContactRole.KETUA_RT,
        "role_title": "Ketua RT 05 RW 02",
        "phone": "0812 0000 0505",
    }
    values.update(kw)
    return Contact.objects.create(name=name, kelurahan_id=kode, **values)


def make_complaint(
    kode: str = GALUR, *, owner: Officer | None = None, summary: str = "Lampu jalan mati", **kw
) -> FieldComplaint:
    values = {"due_date": timezone.localdate() + dt.timedelta(days=7), "raised_by": "Ketua RT 05"}
    values.update(kw)
    c = FieldComplaint.objects.create(
        kelurahan_id=kode, owner=owner or officer_of(kode), summary=summary, **values
    )
    ComplaintEvent.objects.create(complaint=c, to_status=ComplaintStatus.OPEN)
    return c


@pytest.fixture
def humas(db):
    return User.objects.get(username="humas.jakpus")


@pytest.fixture
def analyst(db):
    return User.objects.get(username="analis.jakpus")


@pytest.fixture
def records(db):
    """One of each record in Galur and in Tanah Tinggi."""
    out = {}
    for key, kode in (("galur", GALUR), ("tt", TANAH_TINGGI)):
        t = make_titik(kode, name=f"Titik {key}")
        a = make_activity(kode)
        make_visit(a, t)
        c = make_contact(kode, name=f"Kontak {key}")
        a.contacts.add(c)
        out[key] = {
            "titik": t,
            "activity": a,
            "contact": c,
            "complaint": make_complaint(kode, activity=a, summary=f"Keluhan {key}"),
        }
    return out


def detail_urls(r: dict) -> list[str]:
    return [
        reverse("fieldwork:titik", args=[r["titik"].pk]),
        reverse("fieldwork:titik-edit", args=[r["titik"].pk]),
        reverse("fieldwork:activity", args=[r["activity"].pk]),
        reverse("fieldwork:contact", args=[r["contact"].pk]),
        reverse("fieldwork:contact-edit", args=[r["contact"].pk]),
        reverse("fieldwork:complaint", args=[r["complaint"].pk]),
    ]


LIST_URLS = [
    "/fieldwork/titik/",
    "/fieldwork/activities/",
    "/fieldwork/contacts/",
    "/fieldwork/complaints/",
    "/fieldwork/coverage/",
]


# --- pages and roles -----------------------------------------------------------------


def test_every_page_renders_for_the_galur_officer(client_for, galur, records):
    client = client_for(galur)
    urls = [
        *LIST_URLS,
        "/fieldwork/titik/new/",
        "/fieldwork/titik/import/",
        "/fieldwork/contacts/new/",
        *detail_urls(records["galur"]),
    ]
    for url in urls:
        r = client.get(url)
        assert r.status_code == 200, url
        assert 'data-testid="fieldwork-nav"' in r.content.decode(), url


def test_every_page_renders_for_the_kapolsek_over_the_whole_sector(
    client_for, kapolsek_jb, records
):
    client = client_for(kapolsek_jb)
    for url in [*LIST_URLS, *detail_urls(records["galur"]), *detail_urls(records["tt"])]:
        assert client.get(url).status_code == 200, url
    body = client.get("/fieldwork/titik/").content.decode()
    assert "Titik galur" in body and "Titik tt" in body


def test_the_kapolres_reads_everything_but_does_not_edit(client_for, kapolres, records):
    client = client_for(kapolres)
    for url in LIST_URLS:
        assert client.get(url).status_code == 200, url
    r = records["galur"]
    assert client.get(reverse("fieldwork:titik", args=[r["titik"].pk])).status_code == 200
    assert client.get(reverse("fieldwork:contact", args=[r["contact"].pk])).status_code == 200
    assert client.get("/fieldwork/titik/new/").status_code == 403
    assert client.get("/fieldwork/titik/import/").status_code == 403
    assert client.get(reverse("fieldwork:titik-edit", args=[r["titik"].pk])).status_code == 403
    assert client.get("/fieldwork/contacts/new/").status_code == 403
    page = client.get(reverse("fieldwork:complaint", args=[r["complaint"].pk])).content.decode()
    assert 'data-testid="transition-form"' not in page


def test_the_pages_need_a_login(client, records):
    for url in LIST_URLS:
        r = client.get(url)
        assert r.status_code == 302 and "/login/" in r["Location"], url


@pytest.mark.parametrize("who", ["galur", "kapolsek_gambir"])
def test_records_of_another_territory_answer_404(request, client_for, records, who):
    """Galur is denied Tanah Tinggi; the Kapolsek of Gambir is denied all of Johar Baru."""
    client = client_for(request.getfixturevalue(who))
    others = [records["tt"]] if who == "galur" else [records["tt"], records["galur"]]
    for r in others:
        for url in detail_urls(r):
            assert client.get(url).status_code == 404, url
        complaint = r["complaint"]
        assert (
            client.post(
                reverse("fieldwork:complaint-transition", args=[complaint.pk]),
                {"status": "in_progress"},
            ).status_code
            == 404
        )
        assert client.post(
            reverse("fieldwork:titik-edit", args=[r["titik"].pk]), {"name": "x"}
        ).status_code in (404,)
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.OPEN


def test_lists_show_only_the_users_territory(client_for, galur, kapolsek_gambir, records):
    client = client_for(galur)
    for url, mine, theirs in [
        ("/fieldwork/titik/", "Titik galur", "Titik tt"),
        ("/fieldwork/contacts/", "Kontak galur", "Kontak tt"),
        ("/fieldwork/complaints/?owner=all", "Keluhan galur", "Keluhan tt"),
    ]:
        body = client.get(url).content.decode()
        assert mine in body and theirs not in body, url
    body = client_for(kapolsek_gambir).get("/fieldwork/titik/").content.decode()
    assert "Titik galur" not in body and "Titik tt" not in body


# --- contacts: personal data --------------------------------------------------------


def views_of(contact: Contact) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(
            action="view", object_type="fieldwork.contact", object_id=str(contact.pk)
        )
    )


def test_contact_list_and_detail_views_are_audited(client_for, galur, records):
    contact = records["galur"]["contact"]
    client = client_for(galur)
    assert views_of(contact) == []

    body = client.get("/fieldwork/contacts/").content.decode()
    assert "0812 0000 0505" in body
    [entry] = views_of(contact)
    assert entry.actor_username == "galur"
    assert entry.changes == {"fields": ["name", "phone"]}
    assert entry.source == "web"

    client.get(reverse("fieldwork:contact", args=[contact.pk]))
    latest = views_of(contact)[0]
    assert latest.changes == {"fields": ["name", "notes", "phone"]}

    # The activity page shows linked contacts by name: audited too.
    client.get(reverse("fieldwork:activity", args=[records["galur"]["activity"].pk]))
    assert len(views_of(contact)) == 3
    # Tanah Tinggi's contact was never shown to Galur.
    assert views_of(records["tt"]["contact"]) == []


@pytest.mark.parametrize("who", ["humas", "analyst"])
def test_humas_and_analyst_cannot_see_contacts(request, client_for, records, who):
    client = client_for(request.getfixturevalue(who))
    contact = records["galur"]["contact"]
    for url in [
        "/fieldwork/contacts/",
        "/fieldwork/contacts/new/",
        reverse("fieldwork:contact", args=[contact.pk]),
        reverse("fieldwork:contact-edit", args=[contact.pk]),
    ]:
        assert client.get(url).status_code == 404, url
    # The activity page names the contact's role, not the person.
    page = client.get(reverse("fieldwork:activity", args=[records["galur"]["activity"].pk]))
    body = page.content.decode()
    assert page.status_code == 200
    assert "Ketua RT 05 RW 02" in body and "Kontak galur" not in body
    assert "/fieldwork/contacts/" not in body  # no link in the navigation either
    assert views_of(contact) == []


def test_a_contact_is_created_and_edited_through_the_form(client_for, galur):
    client = client_for(galur)
    r = client.post(
        "/fieldwork/contacts/new/",
        {
            "name": "Haji Maksum",
            "category": ContactRole.TOKOH_AGAMA,
            "role_title": "Ketua DKM Masjid Al-Ikhlas",
            "kelurahan": GALUR,
            "phone": "0813-1111-2222",
            "notes": "",
        },
    )
    contact = Contact.objects.get(name="Haji Maksum")
    assert r.status_code == 302 and r["Location"] == reverse("fieldwork:contact", args=[contact.pk])
    assert contact.created_by == galur
    bad = client.post(
        reverse("fieldwork:contact-edit", args=[contact.pk]),
        {
            "name": "Haji Maksum",
            "category": ContactRole.TOKOH_AGAMA,
            "role_title": "Ketua DKM",
            "kelurahan": TANAH_TINGGI,
            "phone": "call me",
        },
    )
    assert bad.status_code == 422
    assert set(bad.context["form"].errors) == {"kelurahan", "phone"}
    contact.refresh_from_db()
    assert contact.kelurahan_id == GALUR


# --- titik rawan: form, import, export ---------------------------------------------


def titik_post(**over) -> dict:
    body = {
        "name": "TPS 012 Galur",
        "category": TitikCategory.TPS,
        "kelurahan": GALUR,
        "lat": GALUR_POINT[0],
        "lon": GALUR_POINT[1],
        "street": "Jl. Galur Sari",
        "rt": "03",
        "rw": "02",
        "vulnerability": Vulnerability.TINGGI,
        "vulnerability_reason": "TPS dengan riwayat keributan",
        "active_from": "2024-11-26",
        "active_until": "2024-11-28",
        "notes": "",
    }
    body.update(over)
    return body


def test_the_titik_form_creates_a_point(client_for, galur):
    r = client_for(galur).post("/fieldwork/titik/new/", titik_post())
    t = TitikRawan.objects.get(name="TPS 012 Galur")
    assert r.status_code == 302 and r["Location"] == reverse("fieldwork:titik", args=[t.pk])
    assert (t.kelurahan_id, t.created_by, t.vulnerability) == (GALUR, galur, "tinggi")
    assert t.address == "Jl. Galur Sari, RT 03, RW 02"


def test_the_titik_form_rejects_a_point_in_another_kelurahan(client_for, kapolsek_jb):
    # The Galur point, filed under Tanah Tinggi: the message comes from actions.
    r = client_for(kapolsek_jb).post("/fieldwork/titik/new/", titik_post(kelurahan=TANAH_TINGGI))
    assert r.status_code == 422
    body = r.content.decode()
    assert "lies in Galur (31.71.08.1003), not in 31.71.08.1004" in body
    assert 'data-testid="form-errors"' in body
    assert not TitikRawan.objects.filter(name="TPS 012 Galur").exists()


def test_the_titik_form_shows_field_errors(client_for, galur):
    client = client_for(galur)
    r = client.post("/fieldwork/titik/new/", titik_post(rt="5a"))
    assert r.status_code == 422
    assert set(r.context["form"].errors) == {"rt"}
    r = client.post("/fieldwork/titik/new/", titik_post(active_until="2024-11-20"))
    assert set(r.context["form"].errors) == {"active_until"}
    r = client.post("/fieldwork/titik/new/", titik_post(lat="", name=""))
    assert set(r.context["form"].errors) == {"lat", "name"}
    assert not TitikRawan.objects.exists()


def test_the_galur_officer_cannot_file_a_titik_in_tanah_tinggi(client_for, galur):
    r = client_for(galur).post("/fieldwork/titik/new/", titik_post(kelurahan=TANAH_TINGGI))
    assert r.status_code == 422
    assert "kelurahan" in r.context["form"].errors
    assert not TitikRawan.objects.filter(name="TPS 012 Galur").exists()


def test_editing_a_titik_keeps_it_and_audits_the_change(client_for, galur):
    t = make_titik()
    r = client_for(galur).post(
        reverse("fieldwork:titik-edit", args=[t.pk]), titik_post(name="Pos RW 02 (baru)")
    )
    assert r.status_code == 302
    t.refresh_from_db()
    assert t.name == "Pos RW 02 (baru)"
    assert AuditEntry.objects.filter(
        action="update", object_type="fieldwork.titikrawan", object_id=str(t.pk)
    ).exists()


def read_csv(response) -> list[dict]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.DictReader(io.StringIO(body.decode("utf-8"))))


def test_titik_export_is_scoped_filtered_and_audited(client_for, galur, kapolsek_jb, records):
    make_titik(GALUR, name="Pasar Galur", category=TitikCategory.MARKET)
    r = client_for(galur).get("/fieldwork/titik/export.csv")
    assert r.status_code == 200
    assert r["Content-Type"].startswith("text/csv")
    assert "attachment" in r["Content-Disposition"]
    rows = read_csv(r)
    assert {row["name"] for row in rows} == {"Titik galur", "Pasar Galur"}
    assert {row["kelurahan"] for row in rows} == {GALUR}
    entry = AuditEntry.objects.filter(action="export", actor_username="galur").first()
    assert entry.object_type == "fieldwork.titikrawan"
    assert entry.changes["rows"] == 2

    kapolsek = client_for(kapolsek_jb)
    names = {row["name"] for row in read_csv(kapolsek.get("/fieldwork/titik/export.csv"))}
    assert names == {"Titik galur", "Titik tt", "Pasar Galur"}
    market = read_csv(kapolsek.get("/fieldwork/titik/export.csv?category=market"))
    assert [row["name"] for row in market] == ["Pasar Galur"]
    entry = AuditEntry.objects.filter(action="export", actor_username="kapolsek.joharbaru").first()
    assert entry.changes == {"rows": 1, "filters": {"category": "market"}}


GOOD_ROW = ",Pos RW 02 Jalan Topaz,office,31.71.08.1003,-6.1762,106.8554,Jl. Topaz,05,02,sedang,Tempat warga berkumpul,,,"
HEADER = "id,name,category,kelurahan,lat,lon,street,rt,rw,vulnerability,vulnerability_reason,active_from,active_until,notes"


def upload(client, text: str):
    f = SimpleUploadedFile("titik.csv", text.encode("utf-8"), content_type="text/csv")
    return client.post("/fieldwork/titik/import/", {"file": f})


def test_csv_import_is_all_or_nothing(client_for, galur):
    client = client_for(galur)
    bad = "\n".join(
        [
            HEADER,
            GOOD_ROW,
            ",Pos Ronda,gardu,31.71.08.1003,-6.1762,106.8554,,,,sedang,,,,",
            ",Pasar Tanah Tinggi,market,31.71.08.1004,-6.1792,106.8492,,,,tinggi,,,,",
        ]
    )
    r = upload(client, bad)
    assert r.status_code == 422
    body = r.content.decode()
    assert 'data-testid="import-errors"' in body
    assert "row 3: category &#x27;gardu&#x27;" in body
    assert "row 4: kelurahan &#x27;31.71.08.1004&#x27; is not in your territory" in body
    assert TitikRawan.objects.count() == 0

    r = upload(client, HEADER + "\n" + GOOD_ROW + "\n")
    assert r.status_code == 302
    page = client.get(r["Location"]).content.decode()
    assert "1 baris diimpor: 1 baru, 0 diubah, 0 tetap." in page
    assert TitikRawan.objects.filter(name="Pos RW 02 Jalan Topaz", kelurahan_id=GALUR).count() == 1
    entry = AuditEntry.objects.filter(action="import", object_type="fieldwork.titikrawan").first()
    assert entry.changes["created"] == 1


def test_csv_import_rejects_a_file_that_is_not_csv(client_for, galur):
    r = upload(client_for(galur), "no header here")
    assert r.status_code == 422
    assert "header lacks" in r.content.decode()


# --- activities ----------------------------------------------------------------------


def test_activity_detail_shows_visits_flags_photos_complaints(client_for, galur):
    a = make_activity(ended_at=timezone.now() - dt.timedelta(hours=1))
    near, far = make_titik(name="Pos Ronda"), make_titik(name="Masjid Al-Ikhlas")
    make_visit(a, near, distance=20)
    make_visit(a, far, distance=350)
    photo = ActivityPhoto.objects.create(
        activity=a, image="fieldwork/2024/11/foto.jpg", width=160, height=120, caption="Dialog"
    )
    make_complaint(
        activity=a, summary="Parkir liar", due_date=timezone.localdate() - dt.timedelta(days=1)
    )
    body = client_for(galur).get(reverse("fieldwork:activity", args=[a.pk])).content.decode()
    assert "Pos Ronda" in body and "Masjid Al-Ikhlas" in body
    assert "350 m" in body and body.count('data-testid="flagged"') == 1
    # Photos are served with access control, never as public media.
    assert f'src="/fieldwork/photos/{photo.pk}.jpg"' in body and "/media/" not in body
    assert "Parkir liar" in body and "fw-overdue" in body
    assert "cooling system Pilkada" in body
    assert "Aiptu Baktiar Emri" in body


def test_the_activity_feed_filters(client_for, kapolsek_jb):
    galur_officer = officer_of(GALUR)
    a1 = make_activity(GALUR, kind=ActivityKind.SAMBANG, follow_up_needed=True)
    a2 = make_activity(TANAH_TINGGI, started_at=timezone.now() - dt.timedelta(days=10))
    make_visit(a2, make_titik(TANAH_TINGGI), distance=500)
    client = client_for(kapolsek_jb)

    def ids(query: str) -> set[int]:
        return {a.pk for a in client.get("/fieldwork/activities/" + query).context["page"]}

    assert ids("") == {a1.pk, a2.pk}
    assert ids("?kind=sambang") == {a1.pk}
    assert ids(f"?kelurahan={TANAH_TINGGI}") == {a2.pk}
    assert ids(f"?officer={galur_officer.pk}") == {a1.pk}
    assert ids("?follow_up=on") == {a1.pk}
    assert ids("?flagged=on") == {a2.pk}
    since = (timezone.localdate() - dt.timedelta(days=2)).isoformat()
    assert ids(f"?date_from={since}") == {a1.pk}
    assert ids(f"?date_to={since}") == {a2.pk}
    assert ids("?kind=nonsense") == {a1.pk, a2.pk}  # a bad filter is ignored


def test_the_activity_feed_is_paginated_by_50(client_for, galur):
    for i in range(55):
        make_activity(started_at=timezone.now() - dt.timedelta(hours=i + 1))
    client = client_for(galur)
    first = client.get("/fieldwork/activities/")
    assert len(first.context["page"].object_list) == 50
    assert 'href="?page=2"' in first.content.decode()
    assert len(client.get("/fieldwork/activities/?page=2").context["page"].object_list) == 5


def test_activity_export_uses_the_filters_and_is_scoped(client_for, galur, kapolsek_jb):
    make_activity(GALUR, kind=ActivityKind.SAMBANG, notes='=HYPERLINK("x")')
    make_activity(GALUR, kind=ActivityKind.PATROL)
    make_activity(TANAH_TINGGI, kind=ActivityKind.SAMBANG)
    rows = read_csv(client_for(galur).get("/fieldwork/activities/export.csv?kind=sambang"))
    assert [(r["kelurahan"], r["kind"]) for r in rows] == [(GALUR, "sambang")]
    assert rows[0]["notes"] == '\'=HYPERLINK("x")'  # spreadsheet formulas neutralised
    assert rows[0]["officers"] == "Aiptu Baktiar Emri"
    assert rows[0]["topics"] == "cooling_system;hoaks"
    entry = AuditEntry.objects.filter(action="export", object_type="fieldwork.activity").first()
    assert entry.changes == {"rows": 1, "filters": {"kind": "sambang"}}
    rows = read_csv(client_for(kapolsek_jb).get("/fieldwork/activities/export.csv"))
    assert {r["kelurahan"] for r in rows} == {GALUR, TANAH_TINGGI}


def test_sync_conflicts_show_until_acknowledged(client_for, galur, kapolres):
    a = make_activity()
    conflict = SyncConflict.objects.create(
        activity=a, field="notes", kept_value="Aman", discarded_value="Ramai", discarded_by=galur
    )
    url = reverse("fieldwork:activity", args=[a.pk])
    ack = reverse("fieldwork:conflict-ack", args=[a.pk, conflict.pk])
    body = client_for(kapolres).get(url).content.decode()
    assert 'data-testid="conflicts"' in body and "Ramai" in body and ack not in body
    assert client_for(kapolres).post(ack).status_code == 403

    client = client_for(galur)
    assert ack in client.get(url).content.decode()
    assert client.post(ack).status_code == 302
    conflict.refresh_from_db()
    assert conflict.acknowledged
    assert 'data-testid="conflicts"' not in client.get(url).content.decode()


# --- complaints ----------------------------------------------------------------------


def test_the_officer_sees_their_own_complaints_first(client_for, galur, kapolsek_jb):
    mine = make_complaint(
        summary="Lampu jalan mati", due_date=timezone.localdate() - dt.timedelta(days=2)
    )
    other = make_complaint(owner=kapolsek_jb.officer, summary="Sampah menumpuk")
    client = client_for(galur)
    page = client.get("/fieldwork/complaints/")
    assert [c.pk for c in page.context["page"]] == [mine.pk]
    assert "fw-overdue" in page.content.decode()
    assert {c.pk for c in client.get("/fieldwork/complaints/?owner=all").context["page"]} == {
        mine.pk,
        other.pk,
    }
    # The Kapolsek sees the whole sector by default and filters.
    client = client_for(kapolsek_jb)
    assert {c.pk for c in client.get("/fieldwork/complaints/").context["page"]} == {
        mine.pk,
        other.pk,
    }
    assert [c.pk for c in client.get("/fieldwork/complaints/?overdue=on").context["page"]] == [
        mine.pk
    ]
    owner = officer_of(GALUR).pk
    assert [c.pk for c in client.get(f"/fieldwork/complaints/?owner={owner}").context["page"]] == [
        mine.pk
    ]
    assert client.get("/fieldwork/complaints/?status=resolved").context["page"].paginator.count == 0


def test_a_complaint_moves_through_the_page(client_for, galur):
    c = make_complaint()
    client = client_for(galur)
    url = reverse("fieldwork:complaint-transition", args=[c.pk])

    r = client.post(url, {"status": "handed_over", "note": "Bukan wewenang Polri"})
    assert r.status_code == 422
    assert r.context["transition_form"].errors == {"handed_to": ["sebutkan instansi penerima"]}
    c.refresh_from_db()
    assert c.status == ComplaintStatus.OPEN

    r = client.post(
        url, {"status": "handed_over", "handed_to": "Dinas Bina Marga", "note": "Diteruskan"}
    )
    assert r.status_code == 302
    c.refresh_from_db()
    assert (c.status, c.handed_to) == ("handed_over", "Dinas Bina Marga")
    last = c.events.last()
    assert (last.from_status, last.to_status, last.actor, last.note) == (
        "open",
        "handed_over",
        galur,
        "Diteruskan",
    )
    body = client.get(reverse("fieldwork:complaint", args=[c.pk])).content.decode()
    assert "Diteruskan" in body and "Dinas Bina Marga" in body

    # Resolved is not reachable from handed_over; reopening is.
    assert client.post(url, {"status": "resolved", "resolution": "x"}).status_code == 422
    assert client.post(url, {"status": "in_progress"}).status_code == 302
    r = client.post(url, {"status": "resolved"})
    assert r.status_code == 422 and "resolution" in r.context["transition_form"].errors


def test_the_kapolsek_reassigns_a_complaint(client_for, kapolsek_jb, galur):
    c = make_complaint()
    new_owner = officer_of(TANAH_TINGGI)
    due = timezone.localdate() + dt.timedelta(days=3)
    url = reverse("fieldwork:complaint-reassign", args=[c.pk])
    detail = client_for(kapolsek_jb).get(reverse("fieldwork:complaint", args=[c.pk]))
    assert 'data-testid="reassign-form"' in detail.content.decode()
    r = client_for(kapolsek_jb).post(url, {"owner": new_owner.pk, "due_date": due.isoformat()})
    assert r.status_code == 302
    c.refresh_from_db()
    assert (c.owner, c.due_date) == (new_owner, due)
    # A Bhabinkamtibmas does not reassign.
    assert client_for(galur).post(url, {"owner": officer_of(GALUR).pk}).status_code == 403
    gambir = Officer.objects.filter(unit__code="polsek-gambir").first()
    r = client_for(kapolsek_jb).post(url, {"owner": gambir.pk})
    assert r.status_code == 422 and "owner" in r.context["reassign_form"].errors


# --- query counts ----------------------------------------------------------------------


@pytest.fixture
def many(db):
    """Enough rows that one query per row would break the bounds below."""
    galur_officer = officer_of(GALUR)
    for i in range(20):
        t = make_titik(GALUR, name=f"Titik {i:02d}")
        a = make_activity(GALUR, started_at=timezone.now() - dt.timedelta(hours=i + 1))
        make_visit(a, t, distance=300 if i % 3 == 0 else 10)
        c = make_contact(GALUR, name=f"Kontak {i:02d}")
        a.contacts.add(c)
        ActivityPhoto.objects.create(activity=a, image=f"fieldwork/p{i}.jpg", width=10, height=10)
        make_complaint(GALUR, owner=galur_officer, activity=a, summary=f"Keluhan {i:02d}")


@pytest.mark.parametrize(
    "url,limit",
    [
        ("/fieldwork/titik/", 14),
        ("/fieldwork/activities/", 14),
        ("/fieldwork/complaints/", 12),
        ("/fieldwork/coverage/", 16),
    ],
)
def test_list_pages_use_a_bounded_number_of_queries(
    client_for, kapolsek_jb, many, django_assert_max_num_queries, url, limit
):
    client = client_for(kapolsek_jb)
    with django_assert_max_num_queries(limit):
        assert client.get(url).status_code == 200


def test_the_contact_list_adds_only_its_audit_entries(
    client_for, kapolsek_jb, many, django_assert_max_num_queries
):
    client = client_for(kapolsek_jb)
    # One audit entry per contact shown is the rule; everything else is constant.
    with django_assert_max_num_queries(14 + 20):
        assert client.get("/fieldwork/contacts/").status_code == 200
    assert AuditEntry.objects.filter(action="view", object_type="fieldwork.contact").count() == 20


# --- Django admin ----------------------------------------------------------------------


def test_the_admin_lists_and_shows_field_work(client_for, admin_demo, records):
    client = client_for(admin_demo)
    r = records["galur"]
    c = r["complaint"]
    SyncConflict.objects.create(activity=r["activity"], field="notes", kept_value="a")
    photo = ActivityPhoto.objects.create(
        activity=r["activity"], image="fieldwork/x.jpg", width=10, height=10
    )
    for model, obj in [
        ("titikrawan", r["titik"]),
        ("activity", r["activity"]),
        ("contact", r["contact"]),
        ("fieldcomplaint", c),
        ("syncconflict", SyncConflict.objects.get()),
    ]:
        base = f"/admin/fieldwork/{model}/"
        assert client.get(base).status_code == 200, base
        assert client.get(base + "?q=galur").status_code == 200, base
        assert client.get(f"{base}{obj.pk}/change/").status_code == 200, base
    assert (
        client.get(f"/admin/fieldwork/activity/?q={r['activity'].client_uuid}").status_code == 200
    )
    page = client.get(f"/admin/fieldwork/activity/{r['activity'].pk}/change/").content.decode()
    assert f"/fieldwork/photos/{photo.pk}.jpg" in page
    # Contacts seen in the admin are audited like everywhere else: the list,
    # the search (Galur matches its kelurahan) and the change page.
    entries = views_of(r["contact"])
    assert [e.actor_username for e in entries] == ["admin"] * 3
    assert entries[0].changes == {"fields": ["name", "notes", "phone"]}
    # The workflow owns a complaint's status.
    body = client.get(f"/admin/fieldwork/fieldcomplaint/{c.pk}/change/").content.decode()
    assert 'name="status"' not in body

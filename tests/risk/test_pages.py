"""The risk pages: scoped to the user's territory (404 outside), explanations that add
up, the assessment form with history, incidents, alerts, the home card; audited."""

from __future__ import annotations

import datetime as dt

import pytest

from sejuk.accounts.models import AuditEntry, User
from sejuk.risk.actions import compute_index
from sejuk.risk.models import AlertStatus, Assessment, DailyRisk, Incident, RiskAlert

from .conftest import (
    GALUR,
    GALUR_POINT,
    GAMBIR_KEL,
    JOHAR_BARU,
    TANAH_TINGGI,
    TODAY,
    assessment,
    incident,
)


@pytest.fixture
def computed(db, now, spec):
    assessment(spec, value=2)
    incident(severity=2)
    compute_index(TODAY, ("31.71.08", "31.71.01"), forecast=False)


def answers_post(spec, value="2", **extra) -> dict:
    data = {f"a_{i.code}": value for i in spec.indicators}
    data.update({"period_start": "2024-11-01", "period_end": "2024-11-30", "notes": "cek"})
    data.update(extra)
    return data


def test_the_map_lists_only_kelurahan_in_the_users_territory(
    computed, client_for, galur, kapolsek_jb, kapolres
):
    r = client_for(galur).get("/risk/")
    assert r.status_code == 200
    assert r.context["day"] == TODAY  # the newest computed day by default
    assert [x.kelurahan_id for x in r.context["rows"]] == [GALUR]
    assert [f["properties"]["kode"] for f in r.context["geojson"]["features"]] == [GALUR]
    r = client_for(kapolsek_jb).get(f"/risk/?date={TODAY}")
    kodes = {x.kelurahan_id for x in r.context["rows"]}
    assert kodes == set(
        DailyRisk.objects.filter(date=TODAY, kelurahan__parent_id=JOHAR_BARU).values_list(
            "kelurahan_id", flat=True
        )
    )
    assert r.context["rows"][0].kelurahan_id == GALUR  # most vulnerable first
    codes = {u.code for u in r.context["rollups"]}
    assert codes == {JOHAR_BARU, "polsek-johar-baru"}
    r = client_for(kapolres).get(f"/risk/?date={TODAY}&area=31.71.01")
    assert {x.kelurahan_id[:8] for x in r.context["rows"]} == {"31.71.01"}
    assert client_for(galur).get("/risk/?area=31.71.01").status_code == 404


def test_roles_without_risk_access_get_404(computed, client, db):
    for username in ("humas.jakpus", "operator110.jakpus"):
        client.force_login(User.objects.get(username=username))
        for url in ("/risk/", f"/risk/kelurahan/{GALUR}/", "/risk/alerts/", "/risk/incidents/"):
            assert client.get(url).status_code == 404, (username, url)


def test_a_kelurahan_outside_the_territory_is_404(computed, client_for, galur, kapolsek_gambir):
    assert client_for(galur).get(f"/risk/kelurahan/{TANAH_TINGGI}/").status_code == 404
    assert client_for(galur).get(f"/risk/kelurahan/{GAMBIR_KEL}/assessment/").status_code == 404
    assert client_for(kapolsek_gambir).get(f"/risk/kelurahan/{GALUR}/").status_code == 404
    assert client_for(kapolsek_gambir).get(f"/risk/kelurahan/{GAMBIR_KEL}/").status_code == 200


def test_the_kelurahan_page_explains_every_point(computed, client_for, galur, spec):
    r = client_for(galur).get(f"/risk/kelurahan/{GALUR}/?date={TODAY}")
    assert r.status_code == 200
    x = r.context["x"]
    row = DailyRisk.objects.get(kelurahan_id=GALUR, date=TODAY)
    lines = [ln for d in x["dimensions"] for ln in d["lines"]] + x["signals"]
    assert len(lines) == len(spec.indicators) + len(spec.signals)  # every component listed
    exact = sum(ln["points"] for ln in lines) + x["calendar"]["points"]
    assert exact == pytest.approx(row.score, abs=1e-9)
    shown = sum(ln["shown"] for ln in lines) + x["calendar"]["shown"]
    assert round(shown, 1) == x["score_shown"] == round(row.score, 1)
    assert x["calendar"]["phase"] == "voting"
    body = r.content.decode()
    assert 'data-testid="explanation"' in body and 'data-component="incidents"' in body
    assert len(r.context["chart"]) == 1 and r.context["incidents"]


def test_an_assessment_is_a_new_row_each_time_and_refreshes_todays_index(
    db, now, spec, client_for, galur, django_capture_on_commit_callbacks
):
    c = client_for(galur)
    page = c.get(f"/risk/kelurahan/{GALUR}/assessment/")
    assert page.status_code == 200 and page.context["can_assess"]
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post(f"/risk/kelurahan/{GALUR}/assessment/", answers_post(spec, "1"))
    assert r.status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        c.post(f"/risk/kelurahan/{GALUR}/assessment/", answers_post(spec, "3"))
    rows = list(Assessment.objects.filter(kelurahan_id=GALUR).order_by("created_at", "id"))
    assert [set(a.answers.values()) for a in rows] == [{1}, {3}]
    assert rows[-1].created_by == galur and rows[-1].spec_version == spec.version
    history = c.get(f"/risk/kelurahan/{GALUR}/assessment/").context["history"]
    assert [a.pk for a in history] == [rows[1].pk, rows[0].pk]
    today = DailyRisk.objects.get(kelurahan_id=GALUR, date=TODAY)
    assert today.inputs["assessment"] == rows[-1].pk
    assert AuditEntry.objects.filter(object_type="risk.assessment", action="create").count() == 2


def test_an_incomplete_assessment_is_refused(db, now, spec, client_for, galur, tanahtinggi):
    data = answers_post(spec)
    del data[f"a_{spec.indicators[0].code}"]
    r = client_for(galur).post(f"/risk/kelurahan/{GALUR}/assessment/", data)
    assert r.status_code == 422
    r = client_for(galur).post(
        f"/risk/kelurahan/{GALUR}/assessment/",
        answers_post(spec, period_start="2024-12-01", period_end="2024-11-01"),
    )
    assert r.status_code == 422
    assert "period_end" in r.context["form"].errors
    # Another kelurahan's officer does not even see the form.
    assert (
        client_for(tanahtinggi)
        .post(f"/risk/kelurahan/{GALUR}/assessment/", answers_post(spec))
        .status_code
        == 404
    )
    assert not Assessment.objects.exists()


def test_recording_an_incident_takes_the_kelurahan_from_the_point(
    db, now, client_for, kapolsek_jb, galur
):
    c = client_for(kapolsek_jb)
    form = {
        "occurred_at": "2024-11-27T09:30",
        "kind": "clash",
        "severity": "2",
        "source": "field_log",
        "lat": GALUR_POINT[0],
        "lon": GALUR_POINT[1],
        "description": "Bentrok kecil di Jl. Topaz",
    }
    r = c.post("/risk/incidents/new/", form)
    assert r.status_code == 302
    i = Incident.objects.get()
    assert i.kelurahan_id == GALUR and i.severity == 2 and i.created_by == kapolsek_jb
    assert AuditEntry.objects.filter(object_type="risk.incident", action="create").exists()
    # A point in another kelurahan than the one chosen is refused.
    r = c.post("/risk/incidents/new/", {**form, "kelurahan": TANAH_TINGGI})
    assert r.status_code == 422 and "lat" in r.context["form"].errors
    # Outside the officer's kelurahan: refused, nothing written.
    r = client_for(galur).post(
        "/risk/incidents/new/", {**form, "kelurahan": TANAH_TINGGI, "lat": "", "lon": ""}
    )
    assert r.status_code == 422
    assert Incident.objects.count() == 1
    listing = c.get("/risk/incidents/")
    assert [x.pk for x in listing.context["page"]] == [i.pk]


def test_alerts_are_acknowledged_by_handlers_in_scope(
    db, now, client_for, kapolsek_jb, kapolsek_gambir
):
    alert = RiskAlert.objects.create(
        kind="level_up",
        kelurahan_id=GALUR,
        date=TODAY,
        level="tinggi",
        previous_level="sedang",
        score=44.0,
        dedupe_key="t",
    )
    r = client_for(kapolsek_jb).get("/risk/alerts/")
    assert [a.pk for a in r.context["page"]] == [alert.pk]
    assert r.context["rk"]["open_alerts"] == 1
    assert list(client_for(kapolsek_gambir).get("/risk/alerts/").context["page"]) == []
    assert (
        client_for(kapolsek_gambir)
        .post(f"/risk/alerts/{alert.pk}/", {"status": "acknowledged"})
        .status_code
        == 404
    )
    r = client_for(kapolsek_jb).post(
        f"/risk/alerts/{alert.pk}/", {"status": "acknowledged", "note": "patroli ditambah"}
    )
    assert r.status_code == 302
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACKNOWLEDGED and alert.handled_by == kapolsek_jb
    assert alert.note == "patroli ditambah"
    assert AuditEntry.objects.filter(object_type="risk.riskalert", action="update").exists()
    analyst = User.objects.get(username="analis.jakpus")
    assert (
        client_for(analyst).post(f"/risk/alerts/{alert.pk}/", {"status": "closed"}).status_code
        == 403
    )


def test_the_home_page_shows_the_index_to_readers_only(computed, client_for, kapolres, db):
    r = client_for(kapolres).get("/")
    assert b'data-testid="risk-home"' in r.content
    assert b"/risk/kelurahan/" + GALUR.encode() in r.content
    # The officer's phone gets one line (the field app stays the first action).
    line = client_for(User.objects.get(username="galur")).get("/").content.decode()
    assert 'class="rk-home-line"' in line and "Galur" in line
    humas = User.objects.get(username="humas.jakpus")
    assert b'data-testid="risk-home"' not in client_for(humas).get("/").content


def test_a_day_without_rows_says_so(db, now, client_for, galur):
    r = client_for(galur).get(f"/risk/?date={TODAY - dt.timedelta(days=3)}")
    assert r.status_code == 200 and b'data-testid="not-computed"' in r.content
    r = client_for(galur).get(f"/risk/kelurahan/{GALUR}/")
    assert r.status_code == 200 and r.context["row"] is None


@pytest.mark.parametrize(
    "url",
    [
        "/risk/?date=0001-01-01",
        f"/risk/kelurahan/{GALUR}/?date=9999-12-31",
        f"/risk/kelurahan/{GALUR}/?date=0001-01-01",
        "/risk/incidents/?since=0001-01-01",
        "/risk/incidents/?until=9999-12-31",
    ],
)
def test_a_date_at_the_edge_of_the_calendar_is_ignored_not_a_500(
    db, now, client_for, kapolsek_jb, url
):
    r = client_for(kapolsek_jb).get(url)
    assert r.status_code == 200
    assert not r.context["form"].is_valid()


def test_alert_update_redirects_only_to_this_site(db, now, client_for, kapolsek_jb):
    alert = RiskAlert.objects.create(
        kind="level_up", kelurahan_id=GALUR, date=TODAY, level="tinggi", dedupe_key="n"
    )
    client = client_for(kapolsek_jb)
    r = client.post(
        f"/risk/alerts/{alert.pk}/", {"status": "acknowledged", "next": "https://evil.example/"}
    )
    assert r.status_code == 302 and r["Location"] == "/risk/alerts/"
    r = client.post(
        f"/risk/alerts/{alert.pk}/", {"status": "closed", "next": "/risk/alerts/?status=closed"}
    )
    assert r["Location"] == "/risk/alerts/?status=closed"

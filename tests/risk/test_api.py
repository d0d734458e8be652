"""/api/v1/risk/…: scoped reads, explanations that add up, writes with 201/403/404/422."""

from __future__ import annotations

import pytest

from sejuk.accounts.models import User
from sejuk.risk.actions import compute_index
from sejuk.risk.models import Assessment, Incident, RiskAlert

from .conftest import GALUR, GALUR_POINT, GAMBIR_KEL, TANAH_TINGGI, TODAY, assessment, incident


@pytest.fixture
def computed(db, now, spec):
    assessment(spec, value=1)
    incident(severity=1)
    compute_index(TODAY, ("31.71.08", "31.71.01"), forecast=False)


def test_the_index_list_is_scoped_and_sorted(computed, client_for, galur, kapolsek_jb, kapolres):
    data = client_for(galur).get("/api/v1/risk/index").json()
    assert data["date"] == TODAY.isoformat()
    assert [r["kelurahan"] for r in data["results"]] == [GALUR]
    data = client_for(kapolsek_jb).get(f"/api/v1/risk/index?date={TODAY}").json()
    assert data["count"] == 4 and data["results"][0]["kelurahan"] == GALUR
    scores = [r["score"] for r in data["results"]]
    assert scores == sorted(scores, reverse=True)
    data = client_for(kapolres).get(f"/api/v1/risk/index?date={TODAY}&area=31.71.01&limit=2").json()
    assert data["count"] > 2 and len(data["results"]) == 2
    assert all(r["kelurahan"].startswith("31.71.01.") for r in data["results"])


def test_one_kelurahan_with_every_contribution(computed, client_for, galur, spec):
    data = client_for(galur).get(f"/api/v1/risk/kelurahan/{GALUR}?date={TODAY}").json()
    lines = data["explanation"]
    assert [ln["code"] for ln in lines] == list(spec.components)
    assert sum(ln["points"] for ln in lines) == pytest.approx(data["score"], abs=1e-9)
    assert round(sum(ln["shown"] for ln in lines), 1) == round(data["score"], 1)
    assert data["phase"] == "voting" and data["assessed"]
    assert data["history"] == [
        {"date": TODAY.isoformat(), "score": data["score"], "level": data["level"]}
    ]
    assert client_for(galur).get(f"/api/v1/risk/kelurahan/{TANAH_TINGGI}").status_code == 404


def test_rollups_and_alerts_follow_the_scope(computed, client_for, kapolsek_jb, galur):
    kinds = {
        (r["kind"], r["code"]) for r in client_for(kapolsek_jb).get("/api/v1/risk/rollups").json()
    }
    assert kinds == {("kecamatan", "31.71.08"), ("polsek", "polsek-johar-baru")}
    assert client_for(galur).get("/api/v1/risk/rollups").json() == []
    RiskAlert.objects.create(
        kind="level_up", kelurahan_id=GAMBIR_KEL, date=TODAY, level="sedang", dedupe_key="x"
    )
    mine = RiskAlert.objects.create(
        kind="level_up", kelurahan_id=GALUR, date=TODAY, level="sedang", dedupe_key="y"
    )
    got = client_for(kapolsek_jb).get("/api/v1/risk/alerts").json()
    assert [a["id"] for a in got] == [mine.pk]
    r = client_for(kapolsek_jb).post(
        f"/api/v1/risk/alerts/{mine.pk}", {"status": "closed"}, content_type="application/json"
    )
    assert r.status_code == 200 and r.json()["status"] == "closed"
    r = client_for(kapolsek_jb).post(
        f"/api/v1/risk/alerts/{mine.pk}", {"status": "maybe"}, content_type="application/json"
    )
    assert r.status_code == 422


def test_recording_incidents(db, now, client_for, galur):
    c = client_for(galur)
    body = {
        "occurred_at": "2024-11-27T09:00:00+07:00",
        "kind": "intimidation",
        "severity": 2,
        "lat": GALUR_POINT[0],
        "lon": GALUR_POINT[1],
        "source": "field_log",
    }
    r = c.post("/api/v1/risk/incidents", body, content_type="application/json")
    assert r.status_code == 201, r.content
    assert r.json()["kelurahan"] == GALUR
    r = c.post(
        "/api/v1/risk/incidents", {**body, "kind": "picnic"}, content_type="application/json"
    )
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "kind"]
    r = c.post(
        "/api/v1/risk/incidents",
        {**body, "lat": None, "lon": None, "kelurahan": TANAH_TINGGI},
        content_type="application/json",
    )
    assert r.status_code == 404
    r = c.post(
        "/api/v1/risk/incidents",
        {**body, "occurred_at": "2030-01-01T00:00:00+07:00"},
        content_type="application/json",
    )
    assert r.status_code == 422
    assert Incident.objects.count() == 1
    assert [i["id"] for i in c.get("/api/v1/risk/incidents").json()] == [Incident.objects.get().pk]


def test_filing_assessments(db, now, client_for, galur, spec):
    c = client_for(galur)
    body = {
        "kelurahan": GALUR,
        "period_start": "2024-11-01",
        "period_end": "2024-11-30",
        "answers": {i.code: 2 for i in spec.indicators},
    }
    r = c.post("/api/v1/risk/assessments", body, content_type="application/json")
    assert r.status_code == 201 and r.json()["created_by"] == "galur"
    bad = {**body, "answers": {**body["answers"], "made_up": 1}}
    r = c.post("/api/v1/risk/assessments", bad, content_type="application/json")
    assert r.status_code == 422 and "made_up" in r.json()["message"]
    bad = {**body, "answers": {**body["answers"], spec.indicators[0].code: 9}}
    assert (
        c.post("/api/v1/risk/assessments", bad, content_type="application/json").status_code == 422
    )
    other = {**body, "kelurahan": TANAH_TINGGI}
    assert (
        c.post("/api/v1/risk/assessments", other, content_type="application/json").status_code
        == 404
    )
    assert Assessment.objects.count() == 1
    history = c.get(f"/api/v1/risk/kelurahan/{GALUR}/assessments").json()
    assert len(history) == 1 and history[0]["answers"] == body["answers"]


def test_roles_without_risk_access_see_nothing(computed, client):
    client.force_login(User.objects.get(username="humas.jakpus"))
    assert client.get("/api/v1/risk/index").json()["results"] == []
    assert client.get(f"/api/v1/risk/kelurahan/{GALUR}").status_code == 404
    assert client.get("/api/v1/risk/alerts").json() == []


def test_incidents_since_far_outside_the_calendar_is_a_422(db, now, client_for, kapolsek_jb):
    r = client_for(kapolsek_jb).get("/api/v1/risk/incidents?since=0001-01-01")
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "since"]
    assert client_for(kapolsek_jb).get("/api/v1/risk/incidents?since=2024-11-01").status_code == 200


def test_an_incident_in_year_one_is_a_422_not_a_500(db, now, client_for, galur):
    body = {"occurred_at": "0001-01-01T00:00:00", "kind": "clash", "kelurahan": GALUR}
    r = client_for(galur).post("/api/v1/risk/incidents", body, content_type="application/json")
    assert r.status_code == 422, r.content
    assert r.json()["detail"][0]["loc"] == ["body", "occurred_at"]
    assert not Incident.objects.exists()

"""Who sees which plan: an officer only their own, the Kapolsek the plans of their
sector, the Kapolres the Polres; everyone else gets 404 (pages and API)."""

from __future__ import annotations

import datetime as dt

import pytest

from sejuk.accounts.models import User
from sejuk.patrol.access import visible_plans
from sejuk.patrol.models import PatrolPlan, PlanSource, PlanStop

from .conftest import GALUR, TANAH_TINGGI, officer_of

DAY = dt.date(2024, 11, 19)


def make_plan(kode: str) -> PatrolPlan:
    p = PatrolPlan.objects.create(
        officer=officer_of(kode),
        day=DAY,
        kelurahan_id=kode,
        start_lat=-6.18,
        start_lon=106.85,
        end_lat=-6.18,
        end_lon=106.85,
        source=PlanSource.ON_DEMAND,
    )
    PlanStop.objects.create(plan=p, name="Pos Ronda", lat=-6.18, lon=106.85, sequence=1)
    return p


@pytest.fixture
def plans(db):
    gambir = "31.71.01.1001"
    return {"galur": make_plan(GALUR), "tt": make_plan(TANAH_TINGGI), "gambir": make_plan(gambir)}


def ids(user: User) -> set[int]:
    return set(visible_plans(user).values_list("pk", flat=True))


def test_an_officer_sees_only_their_own_plan(plans, galur, tanahtinggi, client_for):
    assert ids(galur) == {plans["galur"].pk}
    assert ids(tanahtinggi) == {plans["tt"].pk}
    c = client_for(galur)
    assert c.get(f"/patrol/plans/{plans['galur'].pk}/").status_code == 200
    assert c.get(f"/patrol/plans/{plans['tt'].pk}/").status_code == 404
    assert c.get(f"/api/v1/patrol/plans/{plans['tt'].pk}").status_code == 404
    stop = plans["tt"].stops.get()
    assert (
        c.post(
            f"/api/v1/patrol/stops/{stop.pk}/done", {}, content_type="application/json"
        ).status_code
        == 404
    )
    listed = c.get("/api/v1/patrol/plans", {"day": DAY.isoformat()}).json()["plans"]
    assert [p["id"] for p in listed] == [plans["galur"].pk]


def test_the_kapolsek_sees_the_plans_of_his_sector(plans, kapolsek_jb, kapolsek_gambir, client_for):
    assert ids(kapolsek_jb) == {plans["galur"].pk, plans["tt"].pk}
    assert ids(kapolsek_gambir) == {plans["gambir"].pk}
    c = client_for(kapolsek_jb)
    page = c.get("/patrol/", {"day": DAY.isoformat()})
    assert page.status_code == 200
    shown = {p.pk for p in page.context["plans"]}
    assert shown == {plans["galur"].pk, plans["tt"].pk}
    assert c.get(f"/patrol/plans/{plans['gambir'].pk}/").status_code == 404
    client_for(kapolsek_gambir)
    assert c.get(f"/patrol/plans/{plans['galur'].pk}/").status_code == 404
    assert c.get(f"/api/v1/patrol/plans/{plans['gambir'].pk}").status_code == 200


def test_the_kapolres_reads_every_plan_of_the_polres_but_changes_none(plans, kapolres, client_for):
    assert ids(kapolres) == {p.pk for p in plans.values()}
    c = client_for(kapolres)
    assert c.get(f"/patrol/plans/{plans['galur'].pk}/").status_code == 200
    stop = plans["galur"].stops.get()
    r = c.post(
        f"/api/v1/patrol/stops/{stop.pk}/directive",
        {"directive": "pin"},
        content_type="application/json",
    )
    assert r.status_code == 403
    assert c.post(f"/patrol/stops/{stop.pk}/pin/").status_code == 404  # the page is not for him
    stop.refresh_from_db()
    assert not stop.pinned


@pytest.mark.parametrize("username", ["humas.jakpus", "operator110.jakpus", "analis.jakpus"])
def test_other_roles_get_404(plans, username, client_for):
    user = User.objects.get(username=username)
    assert ids(user) == set()
    c = client_for(user)
    assert c.get("/patrol/").status_code == 404
    assert c.get(f"/patrol/plans/{plans['galur'].pk}/").status_code == 404
    assert c.get("/patrol/coverage/").status_code == 404
    assert c.get(f"/api/v1/patrol/plans/{plans['galur'].pk}").status_code == 404
    assert c.get("/api/v1/patrol/today").json()["plan"] is None


def test_anonymous_is_sent_to_login(plans, client):
    r = client.get(f"/patrol/plans/{plans['galur'].pk}/")
    assert r.status_code == 302 and r["Location"].startswith("/login/")
    assert client.get("/api/v1/patrol/plans").status_code == 401

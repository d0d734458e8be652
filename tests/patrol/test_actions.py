"""Marking stops done (which writes or links the field log), the Kapolsek's
directives, and scheduled events, on plans written by hand (no solver here)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from sejuk.accounts.models import AuditEntry
from sejuk.fieldwork.models import Activity, TitikRawan, Visit
from sejuk.patrol import actions
from sejuk.patrol.models import PatrolPlan, PlanSource, PlanStop, ScheduledEvent

from .conftest import GALUR, TANAH_TINGGI, WIB, officer_of

TODAY = dt.date(2024, 11, 18)


def plan_with(titik: list[TitikRawan], day: dt.date = TODAY, kode: str = GALUR) -> PatrolPlan:
    p = PatrolPlan.objects.create(
        officer=officer_of(kode),
        day=day,
        kelurahan_id=kode,
        start_lat=-6.176,
        start_lon=106.855,
        end_lat=-6.176,
        end_lon=106.855,
        source=PlanSource.ON_DEMAND,
    )
    base = dt.datetime.combine(day, dt.time(9, 0), tzinfo=WIB)
    for i, t in enumerate(titik, start=1):
        PlanStop.objects.create(
            plan=p,
            titik=t,
            name=t.name,
            lat=t.lat,
            lon=t.lon,
            sequence=i,
            start_at=base + dt.timedelta(minutes=40 * i),
            prize=2.0,
        )
    return p


@pytest.fixture
def galur_titik(demo_week):
    return list(TitikRawan.objects.filter(kelurahan_id=GALUR).order_by("name"))


@pytest.fixture
def plan(galur_titik):
    active = [t for t in galur_titik if t.is_active_on(TODAY)]
    return plan_with(active[:3])


def test_marking_done_writes_a_patrol_with_a_checkin_to_the_field_log(plan, galur, client_for):
    stop = plan.routed_stops().first()
    t = stop.titik
    body = {"lat": t.lat + 0.0002, "lon": t.lon, "accuracy_m": 9, "client_uuid": str(uuid.uuid4())}
    r = client_for(galur).post(
        f"/api/v1/patrol/stops/{stop.pk}/done", body, content_type="application/json"
    )
    assert r.status_code == 200, r.content
    out = r.json()
    assert out["done"] is True and out["activity_id"]
    activity = Activity.objects.get(pk=out["activity_id"])
    assert str(activity.client_uuid) == body["client_uuid"]
    assert activity.kind == "patroli" and activity.kelurahan_id == GALUR
    assert list(activity.officers.all()) == [plan.officer]
    visit = activity.visits.get()
    assert visit.titik_id == t.pk and visit.pk == out["visit_id"]
    assert 15 < visit.distance_m < 30 and not visit.flagged
    # A retry (the same request again) changes nothing and logs nothing twice.
    again = client_for(galur).post(
        f"/api/v1/patrol/stops/{stop.pk}/done", body, content_type="application/json"
    )
    assert again.status_code == 200 and again.json()["activity_id"] == activity.pk
    assert Activity.objects.filter(client_uuid=body["client_uuid"]).count() == 1
    assert AuditEntry.objects.filter(object_type="patrol.planstop", object_id=str(stop.pk)).exists()


def test_a_visit_already_logged_that_day_is_linked_not_duplicated(plan, galur):
    stop = plan.routed_stops().last()
    payload = {
        "client_uuid": uuid.uuid4(),
        "base_version": None,
        "kind": "patroli",
        "started_at": dt.datetime(2024, 11, 18, 8, 0, tzinfo=WIB),
        "kelurahan": GALUR,
        "visits": [
            {"titik_id": stop.titik_id, "checkin_at": dt.datetime(2024, 11, 18, 8, 5, tzinfo=WIB)}
        ],
    }
    from sejuk.fieldwork.actions import do_sync_activity

    logged = do_sync_activity(galur, payload).activity
    stop.refresh_from_db()
    # The phone's log reached the server: the stop is done through the signal...
    assert stop.activity_id == logged.pk and stop.done_at is not None
    before = Activity.objects.count()
    # ...and marking it done again is a no-op.
    actions.do_mark_stop_done(galur, stop)
    assert Activity.objects.count() == before


def test_marking_done_with_a_log_that_predates_the_plan_links_it(galur, galur_titik):
    t = next(t for t in galur_titik if t.is_active_on(TODAY))
    from sejuk.fieldwork.actions import do_sync_activity

    at = dt.datetime(2024, 11, 18, 7, 30, tzinfo=WIB)
    logged = do_sync_activity(galur, {
        "client_uuid": uuid.uuid4(), "kind": "sambang", "started_at": at, "kelurahan": GALUR,
        "visits": [{"titik_id": t.pk, "checkin_at": at}],
    }).activity  # fmt: skip
    p = plan_with([t])
    stop = p.routed_stops().get()
    assert stop.done_at is None  # the plan was made after the visit
    done = actions.do_mark_stop_done(galur, stop)
    assert done.activity_id == logged.pk and done.visit.checkin_at == at
    assert Visit.objects.filter(titik=t, checkin_at__gte=at - dt.timedelta(hours=8)).count() == 1


def test_only_the_officer_or_the_polsek_marks_done(plan, tanahtinggi, kapolres, kapolsek_jb):
    stop = plan.routed_stops().first()
    with pytest.raises(actions.NotInScope):
        actions.do_mark_stop_done(tanahtinggi, stop)
    with pytest.raises(actions.NotAllowed):
        actions.do_mark_stop_done(kapolres, stop)
    done = actions.do_mark_stop_done(kapolsek_jb, stop)  # on the officer's behalf
    assert done.done_at is not None
    assert list(done.activity.officers.all()) == [plan.officer]


def test_a_stop_is_marked_done_on_the_plans_day_only(galur, galur_titik):
    t = next(t for t in galur_titik if t.is_active_on(TODAY))
    stop = plan_with([t], day=TODAY + dt.timedelta(days=1)).routed_stops().get()
    with pytest.raises(actions.PatrolError, match="hari rencana"):
        actions.do_mark_stop_done(galur, stop)
    with pytest.raises(actions.PatrolError, match="lat"):
        actions.do_mark_stop_done(galur, plan_with([t]).routed_stops().get(), lat=-6.1)
    assert not Activity.objects.filter(visits__titik=t, started_at__date=TODAY).exists()


def test_the_desktop_button_marks_done_and_shows_the_field_log_link(plan, galur, client_for):
    stop = plan.routed_stops().first()
    c = client_for(galur)
    r = c.post(f"/patrol/stops/{stop.pk}/done/")
    assert r.status_code == 302
    page = c.get(f"/patrol/plans/{plan.pk}/")
    stop.refresh_from_db()
    assert stop.done_at is not None
    assert f'href="/fieldwork/activities/{stop.activity_id}/"' in page.content.decode()


# --- directives ----------------------------------------------------------------------


def test_directives_set_flags_and_ask_for_a_replan(plan, kapolsek_jb, client_for):
    first, second, third = plan.routed_stops()
    c = client_for(kapolsek_jb)
    for stop, directive in ((first, "pin"), (second, "lock"), (third, "remove")):
        r = c.post(
            f"/api/v1/patrol/stops/{stop.pk}/directive",
            {"directive": directive},
            content_type="application/json",
        )
        assert r.status_code == 200, r.content
    first.refresh_from_db(), second.refresh_from_db(), third.refresh_from_db()
    assert (first.pinned, second.locked, third.removed) == (True, True, True)
    plan.refresh_from_db()
    assert plan.needs_replan
    # Undo, through the page this time.
    assert c.post(f"/patrol/stops/{third.pk}/restore/").status_code == 302
    third.refresh_from_db()
    assert not third.removed
    assert c.post(f"/patrol/stops/{third.pk}/explode/").status_code == 404


def test_directive_rules(plan, kapolsek_jb, galur):
    stop = plan.routed_stops().first()
    with pytest.raises(actions.NotAllowed):
        actions.do_set_directive(galur, stop, "pin")  # the officer does not re-plan himself
    with pytest.raises(actions.PatrolError, match="must be one of"):
        actions.do_set_directive(kapolsek_jb, stop, "teleport")
    unrouted = PlanStop.objects.create(plan=plan, name="Elsewhere", lat=-6.17, lon=106.85)
    with pytest.raises(actions.PatrolError, match="dalam rute"):
        actions.do_set_directive(kapolsek_jb, unrouted, "lock")
    actions.do_mark_stop_done(galur, stop)
    with pytest.raises(actions.PatrolError, match="sudah selesai"):
        actions.do_set_directive(kapolsek_jb, stop, "remove")
    pinned = actions.do_set_directive(kapolsek_jb, unrouted, "pin")
    assert pinned.pinned and not pinned.removed
    removed = actions.do_set_directive(kapolsek_jb, pinned, "remove")
    assert removed.removed and not removed.pinned


# --- events --------------------------------------------------------------------------


def event_form(**over) -> dict:
    data = {
        "name": "Kampanye terbuka",
        "kind": "campaign",
        "kelurahan": GALUR,
        "titik": "",
        "place": "Lapangan",
        "lat": "-6.1758",
        "lon": "106.8530",
        "day": "2024-11-19",
        "starts_at": "14:00",
        "ends_at": "16:00",
        "importance": "tinggi",
        "must_attend": "on",
        "presence_minutes": "45",
        "notes": "",
    }
    data.update(over)
    return data


def test_an_event_is_saved_from_the_page_and_flags_the_plans_of_its_day(
    demo_week, kapolsek_jb, client_for
):
    p = plan_with([], day=dt.date(2024, 11, 19))
    c = client_for(kapolsek_jb)
    r = c.post("/patrol/events/new/", event_form())
    assert r.status_code == 302, r.context["form"].errors if r.context else r
    e = ScheduledEvent.objects.get(name="Kampanye terbuka")
    assert (e.starts_at, e.ends_at, e.created_by) == (dt.time(14), dt.time(16), kapolsek_jb)
    p.refresh_from_db()
    assert p.needs_replan
    listing = c.get("/patrol/events/", {"day": "2024-11-19"})
    assert [x.pk for x in listing.context["events"]] == [e.pk]


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"ends_at": "13:00"}, "ends_at"),
        ({"lat": "", "lon": ""}, "lat"),
        ({"lat": "-6.2000", "lon": "106.8200"}, None),  # a point outside Galur
        ({"presence_minutes": "300"}, "presence_minutes"),
    ],
)
def test_bad_events_are_refused_with_the_reason(demo_week, kapolsek_jb, client_for, over, field):
    r = client_for(kapolsek_jb).post("/patrol/events/new/", event_form(**over))
    assert r.status_code == 422
    errors = r.context["form"].errors
    assert (field in errors) if field else errors.get("__all__"), errors
    assert not ScheduledEvent.objects.exists()


def test_an_event_at_a_titik_of_another_kelurahan_is_refused(demo_week, kapolsek_jb):
    other = TitikRawan.objects.filter(kelurahan_id=TANAH_TINGGI).first()
    e = ScheduledEvent(
        name="Rapat", kind="community", kelurahan_id=GALUR, titik=other, day=dt.date(2024, 11, 19),
        starts_at=dt.time(10), ends_at=dt.time(11),
    )  # fmt: skip
    with pytest.raises(actions.PatrolError, match="kelurahan lain"):
        actions.do_save_event(kapolsek_jb, e)


def test_events_outside_the_territory_are_404(demo_week, kapolsek_gambir, kapolsek_jb, client_for):
    e = actions.do_save_event(
        kapolsek_jb,
        ScheduledEvent(
            name="Debat", kind="debate", kelurahan_id=GALUR, lat=-6.1758, lon=106.8530,
            day=dt.date(2024, 11, 19), starts_at=dt.time(19), ends_at=dt.time(21),
        ),
    )  # fmt: skip
    c = client_for(kapolsek_gambir)
    assert c.get(f"/patrol/events/{e.pk}/edit/").status_code == 404
    assert c.post(f"/patrol/events/{e.pk}/delete/").status_code == 404
    assert ScheduledEvent.objects.filter(pk=e.pk).exists()
    client_for(kapolsek_jb)
    assert c.post(f"/patrol/events/{e.pk}/delete/").status_code == 302
    assert not ScheduledEvent.objects.filter(pk=e.pk).exists()


def test_a_done_time_without_a_zone_offset_is_jakarta_time(plan, galur, client_for):
    stop = plan.routed_stops().first()
    r = client_for(galur).post(
        f"/api/v1/patrol/stops/{stop.pk}/done",
        {"at": "2024-11-18T10:30:00"},
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    stop.refresh_from_db()
    assert stop.done_at is not None
    visit = Visit.objects.get(pk=r.json()["visit_id"])
    assert visit.checkin_at == dt.datetime(2024, 11, 18, 10, 30, tzinfo=WIB)


@pytest.mark.parametrize("at", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_a_done_time_off_the_calendar_is_refused_not_a_500(plan, galur, client_for, at):
    stop = plan.routed_stops().first()
    r = client_for(galur).post(
        f"/api/v1/patrol/stops/{stop.pk}/done", {"at": at}, content_type="application/json"
    )
    assert r.status_code == 422, r.content
    assert r.json()["detail"][0]["loc"] == ["body", "at"]
    stop.refresh_from_db()
    assert stop.done_at is None

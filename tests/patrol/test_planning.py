"""Daily plans from the real demo titik rawan of Johar Baru (the demo week of
11-17 November 2024), planned for Tuesday 19 November: routes pass the
independent checker, overdue points and events are honoured, and the Kapolsek's
pins, locks and removals survive a re-plan."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from sejuk.fieldwork.models import TitikRawan
from sejuk.patrol import actions, planning, tasks
from sejuk.patrol.gather import windows_from_text
from sejuk.patrol.models import PatrolPlan, PlanSource, PlanStop, ScheduledEvent
from sejuk.territory.models import Officer

from .conftest import GALUR, TANAH_TINGGI, TOMORROW, WIB, officer_of

JOHAR_BARU = "polsek-johar-baru"


def johar_baru() -> list[Officer]:
    return list(actions.plannable_officers().filter(unit__code=JOHAR_BARU))


def checker_problems(plan: PatrolPlan) -> list[str]:
    """Re-check a stored plan with the routing library's independent checker, from the
    stored rows (shift, start, points with their windows and service, the route)."""
    officer = planning.OfficerInput(
        officer_id=plan.officer_id,
        name=str(plan.officer),
        kelurahan=(plan.kelurahan_id,),
        shift_start=planning.minutes(plan.shift_start),
        shift_end=planning.minutes(plan.shift_end),
        start=(plan.start_lat, plan.start_lon),
        end=(plan.end_lat, plan.end_lon),
        mode=plan.mode,
    )
    points = [
        planning.PointInput(
            key=s.key,
            name=s.name,
            kelurahan=plan.kelurahan_id,
            lat=s.lat,
            lon=s.lon,
            prize=s.prize,
            service_minutes=s.service_minutes,
            windows=windows_from_text(s.windows),
        )
        for s in plan.stops.all()
    ]
    route = [s.key for s in plan.routed_stops()]
    problems = planning.check_routes([officer], points, {plan.officer_id: route})
    planned = sum(s.prize for s in plan.routed_stops())
    if abs(planned - plan.prize_planned) > 1e-6:
        problems.append(f"prize_planned {plan.prize_planned} != {planned}")
    return problems


def galur_plan(day: dt.date = TOMORROW) -> PatrolPlan:
    return PatrolPlan.objects.get(officer=officer_of(GALUR), day=day)


def local_hm(value: dt.datetime) -> tuple[int, int]:
    t = timezone.localtime(value)
    return t.hour, t.minute


def test_tomorrows_plans_from_the_demo_titik_pass_the_checker(demo_week):
    result = actions.do_generate_plans(TOMORROW, johar_baru(), seed=1)
    assert len(result.plans) == 4  # the four kelurahan of Johar Baru
    plan = galur_plan()
    active = [t for t in TitikRawan.objects.filter(kelurahan_id=GALUR) if t.is_active_on(TOMORROW)]
    assert plan.stops.count() == len(active) == 7  # the TPS opens on the 26th only
    routed = list(plan.routed_stops())
    assert [s.sequence for s in routed] == list(range(1, len(routed) + 1))
    assert plan.feasible and checker_problems(plan) == []
    # Seven points of 15-25 minutes fit easily into an 8-hour shift.
    assert len(routed) == 7
    for s in routed:
        assert s.arrive_at <= s.start_at < s.depart_at
        assert dt.time(8) <= timezone.localtime(s.start_at).time() <= dt.time(16)
    assert plan.prize_planned == pytest.approx(sum(s.prize for s in routed))
    # The Sekretariat RW 02, last visited on the 11th, is overdue on the 19th.
    sekretariat = plan.stops.get(name="Sekretariat RW 02")
    assert (sekretariat.days_since_visit, sekretariat.must_visit, sekretariat.reason) == (
        8,
        True,
        "overdue",
    )
    # The Kantor Kelurahan, visited on the 17th, is worth the least of its kind.
    kantor = plan.stops.get(name="Kantor Kelurahan Galur")
    assert kantor.days_since_visit == 2 and not kantor.must_visit
    assert kantor.prize == pytest.approx(1.0 * (3 / 7) * 0.8)  # rendah x staleness x office
    # Every stop is a Galur titik rawan; the other kelurahan got their own plans.
    assert {s.titik.kelurahan_id for s in routed} == {GALUR}
    tt = PatrolPlan.objects.get(officer=officer_of(TANAH_TINGGI), day=TOMORROW)
    assert [s.name for s in tt.routed_stops()] == ["Pasar Tanah Tinggi"]


def test_an_event_puts_the_officer_there_in_its_window(demo_week, kapolsek_jb):
    lapangan = TitikRawan.objects.get(kelurahan_id=GALUR, name="Lapangan RW 02")
    actions.do_save_event(
        kapolsek_jb,
        ScheduledEvent(
            name="Kampanye terbuka", kind="campaign", kelurahan_id=GALUR, titik=lapangan,
            day=TOMORROW, starts_at=dt.time(14), ends_at=dt.time(16), presence_minutes=45,
        ),
    )  # fmt: skip
    actions.do_save_event(
        kapolsek_jb,
        ScheduledEvent(
            name="Nobar debat", kind="debate", kelurahan_id=GALUR, place="Gg. Lapangan",
            lat=-6.1757, lon=106.8532, day=TOMORROW, starts_at=dt.time(19), ends_at=dt.time(21),
        ),
    )  # fmt: skip
    actions.do_generate_plans(TOMORROW, [officer_of(GALUR)], seed=2)
    plan = galur_plan()
    stop = plan.stops.get(titik=lapangan)
    assert stop.reason == "event" and stop.must_visit and stop.windows == [["14:00", "15:15"]]
    assert stop.service_minutes == 45
    assert dt.time(14) <= timezone.localtime(stop.start_at).time() <= dt.time(15, 15)
    # The evening debate is after the 08:00-16:00 shift: left out, and said so.
    debate = plan.stops.get(event__name="Nobar debat")
    assert debate.sequence is None and debate.titik_id is None
    assert any("Nobar debat" in w and "outside the shift" in w for w in plan.warnings)
    assert checker_problems(plan) == []


def test_pins_locks_and_removals_survive_a_replan(demo_week, kapolsek_jb):
    officer = officer_of(GALUR)
    actions.do_generate_plans(TOMORROW, [officer], seed=3)
    plan = galur_plan()
    # A short shift: only some points fit.
    plan = actions.do_replan(
        kapolsek_jb, plan, shift_start=dt.time(8), shift_end=dt.time(9, 30), seed=3
    )
    routed = list(plan.routed_stops())
    left_out = list(plan.stops.filter(sequence__isnull=True).order_by("prize"))
    assert routed and left_out, "a 90-minute shift should not fit all seven points"
    locked, removed = routed[-1], routed[0]
    pinned = left_out[0]  # the least valuable point that did not fit
    locked_at = locked.start_at
    for stop, directive in ((locked, "lock"), (removed, "remove"), (pinned, "pin")):
        actions.do_set_directive(kapolsek_jb, stop, directive)
    plan.refresh_from_db()
    assert plan.needs_replan

    again = actions.do_replan(kapolsek_jb, plan, seed=4)
    assert not again.needs_replan and again.revision == plan.revision + 1
    by_key = {s.key: s for s in again.stops.all()}
    assert by_key[removed.key].removed and by_key[removed.key].sequence is None
    assert by_key[pinned.key].pinned and by_key[pinned.key].sequence is not None
    assert by_key[locked.key].locked
    assert abs(by_key[locked.key].start_at - locked_at) <= dt.timedelta(minutes=1)
    assert checker_problems(again) == []


def test_a_pin_that_cannot_fit_is_reported_not_forced(demo_week, kapolsek_jb):
    actions.do_generate_plans(TOMORROW, [officer_of(GALUR)], seed=5)
    plan = actions.do_replan(
        kapolsek_jb, galur_plan(), shift_start=dt.time(8), shift_end=dt.time(8, 30), seed=5
    )
    for s in plan.stops.all():
        actions.do_set_directive(kapolsek_jb, s, "pin")
    plan = actions.do_replan(kapolsek_jb, plan, seed=5)
    assert 0 < plan.routed_stops().count() < plan.stops.count()
    assert any("does not fit" in w for w in plan.warnings)
    assert checker_problems(plan) == []


def test_a_done_stop_keeps_its_field_log_through_a_replan(demo_week, galur, kapolsek_jb, now):
    today = dt.date(2024, 11, 18)
    now.move_to(dt.datetime(2024, 11, 18, 7, 0, tzinfo=WIB))
    actions.do_generate_plans(today, [officer_of(GALUR)], seed=6)
    plan = galur_plan(today)
    first = plan.routed_stops().first()
    now.move_to(timezone.localtime(first.start_at))
    done = actions.do_mark_stop_done(galur, first)
    again = actions.do_replan(kapolsek_jb, plan, seed=7)
    kept = again.stops.get(titik_id=first.titik_id)
    assert kept.activity_id == done.activity_id and kept.done_at == done.done_at
    # A done stop stays where it happened.
    assert abs(kept.start_at - first.start_at) <= dt.timedelta(minutes=1)


def test_replanning_today_keeps_the_morning_and_plans_the_rest_from_now(
    demo_week, galur, kapolsek_jb, now
):
    today = dt.date(2024, 11, 18)
    now.move_to(dt.datetime(2024, 11, 18, 7, 0, tzinfo=WIB))
    actions.do_generate_plans(today, [officer_of(GALUR)], seed=11)
    plan = galur_plan(today)
    routed = list(plan.routed_stops())
    first, last = routed[0], routed[-1]
    now.move_to(timezone.localtime(first.start_at))
    actions.do_mark_stop_done(galur, first)
    actions.do_mark_stop_done(galur, last)  # done long before its planned time
    # Re-planned shortly after the first stop, well before the last one's time.
    mid = timezone.localtime(first.depart_at) + dt.timedelta(minutes=5)
    assert mid < last.start_at
    now.move_to(mid)
    again = actions.do_replan(kapolsek_jb, plan, seed=12)
    kept = again.stops.get(titik_id=first.titik_id)
    assert (kept.sequence, kept.start_at) == (1, first.start_at) and kept.done_at
    ahead = again.stops.get(titik_id=last.titik_id)
    assert ahead.sequence is None and ahead.activity_id and ahead.done_at
    rest = list(again.routed_stops())[1:]
    assert len(rest) == len(routed) - 2
    assert all(s.start_at > mid for s in rest), [s.start_at for s in rest]
    assert checker_problems(again) == []
    # After the shift nothing is re-planned, and the plan says so.
    now.move_to(dt.datetime(2024, 11, 18, 17, 0, tzinfo=WIB))
    late = actions.do_replan(kapolsek_jb, again, seed=13)
    assert list(late.routed_stops().values_list("titik_id", flat=True)) == [first.titik_id]
    assert any("Jam dinas sudah selesai" in w for w in late.warnings)


def test_officers_sharing_a_kelurahan_split_its_points(demo_week):
    galur_officer, tt = officer_of(GALUR), officer_of(TANAH_TINGGI)
    tt.kelurahan.add(GALUR)  # a partner in Galur (Tanah Tinggi stays his alone)
    actions.do_generate_plans(TOMORROW, [galur_officer, tt], seed=8)
    plan = PatrolPlan.objects.get(officer=galur_officer, day=TOMORROW)
    partner = PatrolPlan.objects.get(officer=tt, day=TOMORROW)
    mine = {s.key for s in plan.routed_stops()}
    theirs = {s.key for s in partner.routed_stops()}
    assert not mine & theirs
    pasar = f"t{TitikRawan.objects.get(kelurahan_id=TANAH_TINGGI).pk}"
    assert pasar in theirs and pasar not in {s.key for s in plan.stops.all()}
    assert len(mine | theirs) == 8  # Galur's seven and the Pasar
    assert checker_problems(plan) == [] and checker_problems(partner) == []


# --- the evening job, on demand, the command -----------------------------------------


def test_the_evening_job_plans_tomorrow_once_and_reschedules_itself(demo_week):
    from django_tasks_db.models import DBTaskResult

    n = tasks.evening_plans.call(reschedule=True)
    planned = PatrolPlan.objects.filter(day=TOMORROW)
    assert n == planned.count() >= 4
    assert set(planned.values_list("source", flat=True)) == {PlanSource.EVENING}
    waiting = DBTaskResult.objects.get(task_path=tasks.evening_plans.module_path, status="READY")
    assert timezone.localtime(waiting.run_after) == dt.datetime(2024, 11, 19, 18, 0, tzinfo=WIB)
    revision = galur_plan().revision
    assert tasks.evening_plans.call(reschedule=True) == 0  # a re-run changes nothing
    assert galur_plan().revision == revision
    assert not tasks.ensure_scheduled()


def test_generate_on_demand_queues_a_job_for_the_sector(demo_week, kapolsek_jb, galur, client_for):
    from django_tasks_db.models import DBTaskResult

    c = client_for(kapolsek_jb)
    r = c.post("/api/v1/patrol/generate", {"day": "2024-11-19"}, content_type="application/json")
    assert r.status_code == 202, r.content
    job = DBTaskResult.objects.get(task_path=tasks.generate_plans.module_path)
    assert job.args_kwargs["args"] == ["2024-11-19"]
    ids = set(job.args_kwargs["kwargs"]["officer_ids"])
    assert ids == {o.pk for o in johar_baru()}
    # The worker runs it.
    assert (
        tasks.generate_plans.call("2024-11-19", officer_ids=sorted(ids), user_id=kapolsek_jb.pk)
        == 4
    )
    assert PatrolPlan.objects.filter(day=TOMORROW, generated_by=kapolsek_jb).count() == 4
    # The officer may not, and nobody plans the past.
    assert client_for(galur).post("/api/v1/patrol/generate", {"day": "2024-11-19"},
                                  content_type="application/json").status_code == 403  # fmt: skip
    past = client_for(kapolsek_jb).post("/api/v1/patrol/generate", {"day": "2024-11-01"},
                                        content_type="application/json")  # fmt: skip
    assert past.status_code == 422


def test_the_plan_page_and_the_phone_show_the_route(demo_week, galur, client_for, now):
    today = dt.date(2024, 11, 18)
    now.move_to(dt.datetime(2024, 11, 18, 7, 0, tzinfo=WIB))
    actions.do_generate_plans(today, [officer_of(GALUR)], seed=9)
    plan = galur_plan(today)
    c = client_for(galur)
    page = c.get(f"/patrol/plans/{plan.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="pt-map-data"' in html and 'data-testid="plan-map"' in html
    data = page.context["map_data"]
    assert [s["seq"] for s in data["stops"] if s["seq"]] == list(range(1, 8))
    # The phone's copy: today's plan, stops in order with their times.
    today_json = c.get("/api/v1/patrol/today").json()
    assert today_json["plan"]["id"] == plan.pk
    stops = today_json["plan"]["stops"]
    assert [s["sequence"] for s in stops] == list(range(1, 8))
    assert all(s["start"] and s["titik_id"] for s in stops)
    # The officer lands on his plan from /patrol/.
    assert c.get("/patrol/").url == f"/patrol/plans/{plan.pk}/"


def test_the_command_plans_an_area_and_prints_json(demo_week):
    out = StringIO()
    call_command("patrol", "generate", "--unit", JOHAR_BARU, "--day", "2024-11-19", "--json",
                 "--seed", "1", stdout=out)  # fmt: skip
    data = json.loads(out.getvalue())
    assert data["day"] == "2024-11-19" and len(data["plans"]) == 4
    assert all(p["feasible"] for p in data["plans"])
    out = StringIO()
    call_command("patrol", "coverage", "--kode", "31.71.08", "--start", "2024-11-11", "--json",
                 stdout=out)  # fmt: skip
    report = json.loads(out.getvalue())
    # Ten titik rawan active that week (the TPS opens on the 26th), all visited.
    assert (report["period"]["points"], report["period"]["covered"]) == (10, 10)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["generate", "--day", "2024-11-01"], "in the past"),
        (["generate", "--day", "19-11-2024"], "is not a day"),
        (["generate", "--unit", "polsek-atlantis"], "no police unit"),
        (["generate", "--kode", "31.71.99.9999"], "no officer"),
        (["generate", "--nrp", "12345678"], "no plannable officer"),
        (["coverage", "--days", "0"], "--days must be"),
        (["coverage", "--kode", "Galur"], "is not a kode wilayah"),
    ],
)
def test_the_command_refuses_bad_input(demo_week, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("patrol", *args, stdout=StringIO())
    assert not PatrolPlan.objects.exists()


def test_stops_are_written_in_bulk_with_one_audit_entry(demo_week):
    from sejuk.accounts.models import AuditEntry

    actions.do_generate_plans(TOMORROW, [officer_of(GALUR)], seed=10)
    plan = galur_plan()
    entries = AuditEntry.objects.filter(object_type="patrol.planstop", object_id=str(plan.pk))
    assert entries.count() == 1
    assert (
        len(entries.get().changes["routed"])
        == PlanStop.objects.filter(plan=plan, sequence__isnull=False).count()
    )

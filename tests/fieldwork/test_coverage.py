"""The Kapolsek's coverage page: when each kelurahan and titik rawan was last visited.

A small hand-made sector at a fixed "now" (Wednesday 20 November 2024, 10:00
WIB). A point is "not visited in n days" when it had no visit on any of the
last n calendar days, today included.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
import time_machine

from sejuk.accounts.models import AuditEntry, User
from sejuk.fieldwork.models import Activity, ActivityKind, TitikCategory, TitikRawan, Visit
from sejuk.territory.models import Officer

GALUR = "31.71.08.1003"
TANAH_TINGGI = "31.71.08.1004"
WIB = dt.timezone(dt.timedelta(hours=7))
NOW = dt.datetime(2024, 11, 20, 10, 0, tzinfo=WIB)


@pytest.fixture(autouse=True)
def fixed_now():
    with time_machine.travel(NOW, tick=False):
        yield


def officer_of(kode: str) -> Officer:
    return Officer.objects.get(kelurahan__kode=kode, position="Bhabinkamtibmas")


def titik(name: str, kode: str = GALUR, **kw) -> TitikRawan:
    return TitikRawan.objects.create(
        name=name,
        kelurahan_id=kode,
        category=TitikCategory.CROWD,
        lat=-6.1762,
        lon=106.8554,
        **kw,
    )


def activity(days_ago: float, kode: str = GALUR, visits: tuple[TitikRawan, ...] = ()) -> Activity:
    at = NOW - dt.timedelta(days=days_ago)
    a = Activity.objects.create(kind=ActivityKind.PATROL, started_at=at, kelurahan_id=kode)
    a.officers.set([officer_of(kode)])
    for t in visits:
        Visit.objects.create(activity=a, titik=t, checkin_at=at, distance_m=5)
    return a


@pytest.fixture
def sector(db):
    """Galur: A visited 10 days ago, B never, C 2 days ago, D no longer active.
    Tanah Tinggi: E visited 8 days ago."""
    pts = {
        "A": titik("A Pos Ronda", vulnerability="sedang"),
        "B": titik("B Lapangan", vulnerability="tinggi"),
        "C": titik("C Masjid"),
        "D": titik("D Posko Kampanye", active_until=dt.date(2024, 11, 1)),
        "E": titik("E Pasar", kode=TANAH_TINGGI),
    }
    activity(10, visits=(pts["A"],))  # 10 Nov
    activity(8)  # 12 Nov: before the 7-day window
    activity(2, visits=(pts["C"],))  # 18 Nov
    activity(1)  # 19 Nov
    activity(40, visits=(pts["D"],))  # an inactive point's old visit
    activity(8, kode=TANAH_TINGGI, visits=(pts["E"],))  # 12 Nov
    activity(3, kode=TANAH_TINGGI)  # 17 Nov
    return pts


def kelurahan_rows(response) -> dict[str, dict]:
    return {r["kode"]: r for r in response.context["data"]["kelurahan"]}


def titik_rows(response) -> list[tuple[str, int | None, bool]]:
    return [(t.name[0], t.days_since, t.stale) for t in response.context["page"]]


def test_kelurahan_rows_count_titik_activities_and_the_last_visit(client_for, kapolsek_jb, sector):
    r = client_for(kapolsek_jb).get("/fieldwork/coverage/")
    assert r.status_code == 200
    rows = kelurahan_rows(r)
    assert set(rows) == {"31.71.08.1001", "31.71.08.1002", GALUR, TANAH_TINGGI}
    galur = rows[GALUR]
    assert (galur["titik"], galur["stale"], galur["activities_7d"]) == (3, 2, 2)
    assert galur["days_since"] == 2
    assert galur["last_visit_at"] == NOW - dt.timedelta(days=2)
    tt = rows[TANAH_TINGGI]
    assert (tt["titik"], tt["stale"], tt["activities_7d"], tt["days_since"]) == (1, 1, 1, 8)
    empty = rows["31.71.08.1001"]
    assert (empty["titik"], empty["activities_7d"], empty["days_since"]) == (0, 0, None)
    # Most neglected first: the never-visited kelurahan, then Tanah Tinggi, then Galur.
    order = [k["kode"] for k in r.context["data"]["kelurahan"]]
    assert order[2:] == [TANAH_TINGGI, GALUR]
    assert r.context["data"]["total_titik"] == 4
    assert r.context["data"]["total_stale"] == 3


def test_titik_are_sorted_most_neglected_first_with_never_for_unvisited(
    client_for, kapolsek_jb, sector
):
    r = client_for(kapolsek_jb).get("/fieldwork/coverage/")
    # D is no longer active and not listed.
    assert titik_rows(r) == [("B", None, True), ("A", 10, True), ("E", 8, True), ("C", 2, False)]
    body = r.content.decode()
    row_b = body.split(f'data-titik="{sector["B"].pk}"')[1].split("</tr>")[0]
    assert 'data-stale="1"' in row_b and "never" in row_b


def test_a_point_visited_10_days_ago_is_highlighted_with_n_7_not_with_n_14(
    client_for, kapolsek_jb, sector
):
    client = client_for(kapolsek_jb)
    stale = {n: t.pk for n, t in sector.items()}

    def highlighted(query: str) -> set[int]:
        return {t.pk for t in client.get("/fieldwork/coverage/" + query).context["page"] if t.stale}

    assert highlighted("?n=7") == {stale["A"], stale["B"], stale["E"]}
    assert highlighted("") == highlighted("?n=7")  # 7 is the default
    assert highlighted("?n=14") == {stale["B"]}
    assert highlighted("?n=1") == {stale["A"], stale["B"], stale["C"], stale["E"]}
    r = client.get("/fieldwork/coverage/?n=14")
    assert kelurahan_rows(r)[GALUR]["stale"] == 1
    assert 'class="fw-stale"' in r.content.decode()


def test_the_window_counts_calendar_days_including_today(client_for, kapolsek_jb, db):
    """Just after midnight 6 days ago is within 7 days; just before it, 7 days ago, is not."""
    six = titik("six")
    seven = titik("seven")
    a6 = activity(6)
    a7 = activity(7)
    Visit.objects.create(
        activity=a6, titik=six, checkin_at=dt.datetime(2024, 11, 14, 0, 5, tzinfo=WIB)
    )
    Visit.objects.create(
        activity=a7, titik=seven, checkin_at=dt.datetime(2024, 11, 13, 23, 55, tzinfo=WIB)
    )
    page = client_for(kapolsek_jb).get("/fieldwork/coverage/?n=7").context["page"]
    assert {t.name: (t.days_since, t.stale) for t in page} == {
        "six": (6, False),
        "seven": (7, True),
    }


def test_only_stale_points_and_one_kelurahan(client_for, kapolsek_jb, sector):
    client = client_for(kapolsek_jb)
    r = client.get(f"/fieldwork/coverage/?stale=on&kelurahan={GALUR}")
    assert titik_rows(r) == [("B", None, True), ("A", 10, True)]
    assert list(kelurahan_rows(r)) == [GALUR]
    r = client.get("/fieldwork/coverage/?n=abc")
    assert r.status_code == 200 and r.context["data"]["n"] == 7


def test_the_officer_sees_their_own_kelurahan_only(client_for, galur, sector):
    r = client_for(galur).get("/fieldwork/coverage/")
    assert r.status_code == 200
    assert list(kelurahan_rows(r)) == [GALUR]
    assert [name for name, _d, _s in titik_rows(r)] == ["B", "A", "C"]


@pytest.mark.parametrize("username", ["humas.jakpus", "analis.jakpus", "operator110.jakpus"])
def test_roles_outside_the_chain_of_command_do_not_get_the_page(client_for, username, db):
    client = client_for(User.objects.get(username=username))
    assert client.get("/fieldwork/coverage/").status_code == 404
    assert client.get("/fieldwork/coverage/export.csv").status_code == 404


@pytest.mark.parametrize("username", ["kapolres.jakpus", "staf.jakpus", "staf.joharbaru", "admin"])
def test_command_roles_get_the_page(client_for, username, sector):
    r = client_for(User.objects.get(username=username)).get(
        f"/fieldwork/coverage/?kelurahan={GALUR}"
    )
    assert r.status_code == 200
    assert kelurahan_rows(r)[GALUR]["titik"] == 3


def test_the_coverage_export(client_for, kapolsek_jb, galur, sector):
    r = client_for(kapolsek_jb).get("/fieldwork/coverage/export.csv?n=14")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(r.streaming_content).decode())))
    got = [
        (row["titik"][0], row["days_since_last_visit"], row["not_visited_in_n_days"])
        for row in rows
    ]
    assert got == [("B", "never", "yes"), ("A", "10", "no"), ("E", "8", "no"), ("C", "2", "no")]
    assert rows[1]["last_visit_at"] == "2024-11-10T10:00+07:00"
    assert {row["n"] for row in rows} == {"14"}
    entry = AuditEntry.objects.filter(action="export", object_type="fieldwork.coverage").first()
    assert entry.actor_username == "kapolsek.joharbaru"
    assert entry.changes == {"rows": 4, "filters": {"n": "14"}}
    # Scoped: the Galur officer exports Galur only.
    r = client_for(galur).get("/fieldwork/coverage/export.csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(r.streaming_content).decode())))
    assert {row["kelurahan"] for row in rows} == {GALUR}


def test_coverage_queries_do_not_grow_with_the_number_of_points(
    client_for, kapolsek_jb, sector, django_assert_max_num_queries
):
    for i in range(40):
        t = titik(f"extra {i}", kode=GALUR if i % 2 else TANAH_TINGGI)
        activity(i % 12 + 0.5, kode=t.kelurahan_id, visits=(t,))
    client = client_for(kapolsek_jb)
    with django_assert_max_num_queries(15):
        assert client.get("/fieldwork/coverage/").status_code == 200

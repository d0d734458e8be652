"""Pages and API: scoped by territory, managed by analysts, audited."""

from __future__ import annotations

import json
import re

import pytest

from sejuk.accounts.models import AuditEntry, User
from sejuk.monitoring.models import FactCheck, MonitoringSettings, Post
from sejuk.territory.models import PoliceUnit

GALUR = "31.71.08.1003"


@pytest.fixture
def posts(ingest_fixture):
    ingest_fixture()
    return Post.objects.all()


@pytest.fixture
def late_november():
    # The fixture posts are from 21-25 November 2024: look at them from the 26th.
    import time_machine

    with time_machine.travel("2024-11-26T12:00:00+07:00", tick=False):
        yield


@pytest.fixture
def analyst(db):
    return User.objects.get(username="analis.jakpus")


def _nid(external_id: str) -> int:
    return Post.objects.get(external_id=external_id).narrative_id


def test_the_narratives_page_lists_what_the_user_may_see(
    posts, late_november, client_for, galur, kapolres
):
    with_period = "?days=7"
    page = client_for(kapolres).get("/monitoring/" + with_period).content.decode()
    assert f'data-narrative="{_nid("2001")}"' in page
    assert f'data-narrative="{_nid("3001")}"' in page
    # The Bhabinkamtibmas of Galur sees the Galur rumour, not Tanah Tinggi's money politics.
    page = client_for(galur).get("/monitoring/" + with_period).content.decode()
    assert f'data-narrative="{_nid("1001")}"' in page
    assert f'data-narrative="{_nid("2001")}"' not in page


def test_a_narrative_outside_the_territory_is_404(posts, client_for, galur, kapolsek_gambir):
    money = _nid("2001")
    assert client_for(galur).get(f"/monitoring/narratives/{money}/").status_code == 404
    assert client_for(kapolsek_gambir).get(f"/monitoring/narratives/{money}/").status_code == 404
    assert (
        client_for(kapolsek_gambir).get(f"/api/v1/monitoring/narratives/{money}").status_code == 404
    )


def test_the_narrative_page_shows_its_posts_trend_and_areas(posts, client_for, kapolsek_jb):
    page = client_for(kapolsek_jb).get(f"/monitoring/narratives/{_nid('2001')}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "sembako" in html
    assert 'data-testid="volume-chart"' in html
    assert "Tanah Tinggi" in html
    assert html.count('data-post="') == 4


def test_the_map_counts_flagged_posts_per_kelurahan(posts, late_november, client_for, kapolsek_jb):
    Post.objects.filter(external_id__in=["3001", "3002", "3003"]).update(sara=True)
    page = client_for(kapolsek_jb).get("/monitoring/map/?days=7&kind=flagged")
    assert page.status_code == 200
    html = page.content.decode()
    start = html.index(">", html.index('id="mon-map-data"')) + 1
    data = json.loads(html[start : html.index("</script>", start)])
    counts = {f["properties"]["kode"]: f["properties"]["n"] for f in data["features"]}
    # Polsek Johar Baru: the four kelurahan of Kecamatan Johar Baru, with their outlines.
    assert set(counts) == {"31.71.08.1001", "31.71.08.1002", "31.71.08.1003", "31.71.08.1004"}
    assert counts["31.71.08.1002"] == 3
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in data["features"])


def test_post_search_filters(posts, client_for, kapolres):
    c = client_for(kapolres)
    html = c.get("/monitoring/posts/?q=sembako").content.decode()
    assert html.count('data-post="') == 4
    html = c.get(f"/monitoring/posts/?area={GALUR}").content.decode()
    assert html.count('data-post="') == 3  # 1001 (copies hidden), 1005, 1006
    html = c.get(f"/monitoring/posts/?area={GALUR}&copies=on").content.decode()
    assert html.count('data-post="') == 6
    html = c.get("/monitoring/posts/?platform=instagram").content.decode()
    assert html.count('data-post="') == 2
    html = c.get("/monitoring/posts/?author=@laskar_pilkada").content.decode()
    assert html.count('data-post="') == 2
    html = c.get("/monitoring/posts/?since=2024-11-25&until=2024-11-25").content.decode()
    assert html.count('data-post="') == 3
    api = c.get("/api/v1/monitoring/posts", {"q": "sembako"}).json()
    assert len(api) == 4


def test_posts_outside_the_territory_are_invisible(posts, client_for, galur):
    c = client_for(galur)
    money = Post.objects.get(external_id="2001")
    assert c.get(f"/monitoring/posts/{money.pk}/").status_code == 404
    assert c.get(f"/api/v1/monitoring/posts/{money.pk}").status_code == 404
    html = c.get("/monitoring/posts/").content.decode()
    assert f'data-post="{money.pk}"' not in html
    # Unplaced posts belong to the Polres: not to a kelurahan officer.
    football = Post.objects.get(external_id="5003")
    assert c.get(f"/monitoring/posts/{football.pk}/").status_code == 404


def test_roles_without_monitoring_get_404(posts, client_for, db):
    operator = User.objects.get(username="operator110.jakpus")
    assert client_for(operator).get("/monitoring/").status_code == 404
    assert client_for(operator).get("/api/v1/monitoring/posts").status_code == 403


def test_a_post_page_shows_the_closest_fact_checks(posts, seed_claims, client_for, kapolres):
    lele = Post.objects.get(external_id="6001")
    html = client_for(kapolres).get(f"/monitoring/posts/{lele.pk}/").content.decode()
    assert "lele" in html.split('data-testid="claim-matches"')[1].split("</ul>")[0].lower()
    api = client_for(kapolres).post(
        "/api/v1/monitoring/claims/match",
        {"post_id": lele.pk, "k": 3},
        content_type="application/json",
    )
    assert api.status_code == 200
    top = api.json()[0]
    assert "lele" in top["title"].lower() and top["score"] > 0.1


def test_the_claim_check_also_works_for_citizen_reports(seed_claims, client_for, galur):
    from sejuk.reports.actions import ReportInput, create_report
    from tests.reports.conftest import GALUR_POINT  # noqa: F401 - same place as the reports tests

    report = create_report(
        ReportInput(category="provocation", lat=-6.1762, lon=106.8554,
                    description="Beredar pesan TPS 011 Galur dipindah ke Jalan Topaz, warga bingung")
    )  # fmt: skip
    c = client_for(galur)
    ok = c.post(
        "/api/v1/monitoring/claims/match", {"report_id": report.pk}, content_type="application/json"
    )
    assert ok.status_code == 200
    assert ok.json()[0]["title"] == "TPS 011 Galur dipindah"
    other = create_report(
        ReportInput(category="provocation", lat=-6.1806, lon=106.8267,
                    description="Beredar pesan TPS dipindah di Gambir, warga bingung sekali")
    )  # fmt: skip
    if other.kelurahan_id and not other.kelurahan_id.startswith("31.71.08.1003"):
        denied = c.post(
            "/api/v1/monitoring/claims/match",
            {"report_id": other.pk},
            content_type="application/json",
        )
        assert denied.status_code == 404
    empty = c.post("/api/v1/monitoring/claims/match", {}, content_type="application/json")
    assert empty.status_code == 422


def test_the_analyst_manages_the_archive(client_for, analyst, galur):
    c = client_for(analyst)
    created = c.post(
        "/monitoring/claims/new/",
        {"title": "Surat suara sudah dicoblos", "verdict": "hoax", "source": "Bawaslu DKI",
         "text": "Beredar video surat suara sudah dicoblos untuk paslon tertentu di TPS Galur.",
         "url": "https://example.org/cek/surat-suara", "active": "on"},
    )  # fmt: skip
    assert created.status_code == 302, created.content.decode()[:2000]
    claim = FactCheck.objects.get(title="Surat suara sudah dicoblos")
    assert AuditEntry.objects.filter(
        object_type="monitoring.factcheck", object_id=str(claim.pk), action="create"
    ).exists()
    bad = c.post(
        f"/monitoring/claims/{claim.pk}/", {"title": "x", "verdict": "maybe", "text": "short"}
    )
    assert bad.status_code == 422
    check = c.get(
        "/monitoring/claims/", {"text": "video surat suara dicoblos di TPS"}
    ).content.decode()
    assert "Surat suara sudah dicoblos" in check.split('data-testid="claim-matches"')[1]
    # Officers read the archive but do not manage it.
    o = client_for(galur)
    assert o.get("/monitoring/claims/").status_code == 200
    assert o.get("/monitoring/claims/new/").status_code == 404
    assert o.post(f"/monitoring/claims/{claim.pk}/", {"delete": "1"}).status_code == 404
    assert FactCheck.objects.filter(pk=claim.pk).exists()


def test_the_analyst_imports_claims_from_csv(client_for, analyst):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = (
        b"text,verdict,source,date\n"
        b'"Pencoblosan diundur ke Desember karena banjir",hoaks,KPU DKI,2024-11-25\n'
        b'"Klaim tanpa putusan",mungkin,,\n'
    )
    response = client_for(analyst).post(
        "/monitoring/claims/import/",
        {"file": SimpleUploadedFile("cek.csv", data, "text/csv")},
        follow=True,
    )
    html = response.content.decode()
    assert FactCheck.objects.filter(verdict="hoax", source="KPU DKI").count() == 1
    assert "line 3" in html


def test_the_analyst_edits_thresholds_and_talking_points(client_for, analyst, galur):
    c = client_for(analyst)
    form = {
        "spike_window_hours": 12, "spike_baseline_days": 21, "spike_min_count": 4, "spike_ratio": 2.5,
        "spike_alpha": 0.005, "spike_min_expected": 0.5, "provocation_threshold": 0.6,
        "sara_threshold": 0.55, "narrative_threshold": 0.2, "narrative_window_hours": 48,
        "claim_min_score": 0.15,
        "talking_points_json": json.dumps({"sara": ["Jaga persatuan di {wilayah}."]}),
    }  # fmt: skip
    assert c.post("/monitoring/settings/", form).status_code == 302
    s = MonitoringSettings.current()
    assert (s.spike_window_hours, s.talking_points) == (
        12,
        {"sara": ["Jaga persatuan di {wilayah}."]},
    )
    entry = AuditEntry.objects.filter(
        object_type="monitoring.monitoringsettings", action="update"
    ).first()
    assert entry.changes["spike_window_hours"] == [6, 12]
    bad = c.post(
        "/monitoring/settings/", {**form, "spike_alpha": 0.9, "talking_points_json": "{oops"}
    )
    assert bad.status_code == 422
    bad_category = c.post(
        "/monitoring/settings/", {**form, "talking_points_json": '{"rumour": ["x"]}'}
    )
    assert bad_category.status_code == 422
    assert "tidak dikenal" in bad_category.content.decode()
    assert client_for(galur).get("/monitoring/settings/").status_code == 404


def test_monitoring_needs_a_login(client, db):
    assert client.get("/monitoring/").status_code == 302
    assert client.get("/api/v1/monitoring/posts").status_code == 401


def test_the_nav_links_to_monitoring_for_the_roles_that_use_it(client_for, kapolsek_jb, db):
    assert 'data-testid="nav-monitoring"' in client_for(kapolsek_jb).get("/").content.decode()
    humas = User.objects.get(username="humas.jakpus")
    assert 'data-testid="nav-monitoring"' not in client_for(humas).get("/").content.decode()


def test_unplaced_posts_go_to_the_unit_given_on_the_command_line(db, tmp_path, capsys):
    from django.core.management import call_command

    path = tmp_path / "p.jsonl"
    path.write_text(
        json.dumps({"platform": "x", "id": "u1", "author": "a", "time": "2024-11-24T10:00:00+07:00",
                    "text": "Semua harus tenang, jangan mudah terpancing isu"}) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    call_command("monitoring", "ingest", str(path), "--unit", "polsek-gambir")
    assert Post.objects.get(external_id="u1").scope_kode == "31.71.01"
    assert PoliceUnit.objects.filter(code="polsek-gambir").exists()


def test_post_kind_filters_agree_between_page_and_api(posts, client_for, kapolres):
    ids = list(Post.objects.order_by("pk").values_list("pk", flat=True)[:3])
    Post.objects.update(provocative=False, sara=False)
    Post.objects.filter(pk__in=ids[:2]).update(provocative=True)
    Post.objects.filter(pk__in=ids[1:]).update(sara=True)
    expected = {"provocative": set(ids[:2]), "sara": set(ids[1:]), "flagged": set(ids)}
    c = client_for(kapolres)
    for kind, want in expected.items():
        api = c.get("/api/v1/monitoring/posts", {"kind": kind, "copies": True}).json()
        assert {p["id"] for p in api} == want, kind
        html = c.get(f"/monitoring/posts/?kind={kind}&copies=on").content.decode()
        assert {int(x) for x in re.findall(r'data-post="(\d+)"', html)} == want, kind
    assert c.get("/api/v1/monitoring/posts", {"kind": "hoaks"}).status_code == 422

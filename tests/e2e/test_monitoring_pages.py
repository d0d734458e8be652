"""The Kapolsek of Johar Baru follows a narrative and the provocation map in Chromium.

Posts are ingested into the running demo with the real CLI
(``sejuk monitoring ingest``), dated minutes ago so that they fall in the
pages' default period."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.e2e

PASSWORD = "sejuk-demo-2024"


def login(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/login/")
    page.locator('input[name="username"]').fill(username)
    page.locator('input[name="password"]').fill(password)
    with page.expect_navigation():
        page.locator('form button[type="submit"]').click()


@pytest.fixture(scope="module")
def ingested(demo_server):
    now = dt.datetime.now(dt.UTC)

    def at(minutes: int) -> str:
        return (now - dt.timedelta(minutes=minutes)).isoformat()

    posts = [
        ("e2e-1", "mata_warga", 90, "Tim paslon nomor 2 bagi-bagi sembako di Tanah Tinggi malam ini, politik uang!"),
        ("e2e-2", "rt07_tt", 80, "Ada pembagian sembako dari tim sukses paslon 2 di Kelurahan Tanah Tinggi"),
        ("e2e-3", "jakpus_update", 70, "Dugaan politik uang: bagi sembako tim paslon 2 di Tanah Tinggi dilaporkan ke Panwascam"),
        ("e2e-4", "pemantau", 60, "Bawaslu harus usut pembagian sembako tim paslon 2 di Tanah Tinggi"),
        ("e2e-5", "warga_galur88", 50, "Awas TPS 011 Galur katanya dipindah ke Jalan Topaz tanpa pengumuman"),
        ("e2e-6", "bola_mania", 40, "Persija menang 2-0 malam ini, gol indah di menit ke-80"),
    ]  # fmt: skip
    path = demo_server.state_dir / "e2e-posts.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for pid, author, minutes, text in posts:
            row = {
                "platform": "twitter",
                "id": pid,
                "author": author,
                "time": at(minutes),
                "text": text,
            }
            if pid == "e2e-5":
                row.update(lat=-6.1762, lon=106.8554)
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    env = os.environ.copy()
    env["SEJUK_STATE_DIR"] = str(demo_server.state_dir)
    env.pop("SEJUK_TESTING", None)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    if demo_server.database_url:
        env["DATABASE_URL"] = demo_server.database_url
    else:
        env.pop("DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "sejuk", "monitoring", "ingest", str(path)],
        env=env, cwd=demo_server.state_dir, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert report["ingested"] == 6, report
    return report


def test_the_kapolsek_opens_a_narrative_and_the_map(page, demo_server, ingested):
    login(page, "kapolsek.joharbaru")
    page.get_by_test_id("nav-monitoring").click()
    page.wait_for_url("**/monitoring/")
    row = page.locator("[data-testid=narratives] tr[data-narrative]", has_text="sembako")
    assert row.count() == 1, page.content()[:3000]
    assert row.locator("[data-col=posts]").inner_text().strip() == "4"
    with page.expect_navigation():
        row.locator("a").first.click()
    assert "sembako" in page.get_by_test_id("narrative-title").inner_text()
    assert page.get_by_test_id("narrative-posts").inner_text().strip() == "4"
    bars = page.locator("[data-testid=volume-chart] .mon-bar")
    assert bars.count() == 14
    assert page.locator("[data-testid=posts] li[data-post]").count() == 4

    page.goto("/monitoring/map/?days=1&kind=")
    page.locator('#mon-map[data-ready="1"]').wait_for(state="attached", timeout=15_000)
    shot = demo_server.state_dir / "screenshots" / "monitoring-map.png"
    shot.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(shot), full_page=True)
    polygons = page.locator("#mon-map path.mon-kel")
    assert polygons.count() == 4, f"expected the 4 kelurahan of Johar Baru (screenshot: {shot})"
    hot = page.locator("#mon-map path.mon-kel-hot")
    assert hot.count() == 2, f"Tanah Tinggi and Galur have posts (screenshot: {shot})"
    box = hot.first.bounding_box()
    assert box is not None and box["width"] > 10 and box["height"] > 10
    table = page.get_by_test_id("volume-table")
    assert "Tanah Tinggi" in table.inner_text() and "Galur" in table.inner_text()


def test_a_bhabinkamtibmas_does_not_see_another_kelurahan(page, demo_server, ingested):
    login(page, "galur")
    page.goto("/monitoring/")
    assert page.locator("tr[data-narrative]", has_text="sembako").count() == 0

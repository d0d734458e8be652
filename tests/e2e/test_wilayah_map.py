"""A Bhabinkamtibmas on a phone: log in, open his kelurahan, see it on the map."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e

PASSWORD = "sejuk-demo-2024"
GALUR = "31.71.08.1003"
TANAH_TINGGI = "31.71.08.1004"


def login(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/login/")
    page.locator('input[name="username"]').fill(username)
    page.locator('input[name="password"]').fill(password)
    with page.expect_navigation():
        page.locator('form button[type="submit"]').click()


def test_galur_sees_his_kelurahan_on_the_map(page, demo_server):
    login(page, "galur")
    assert page.url == demo_server.base_url, f"login did not land on the home page: {page.url}"
    who = page.get_by_test_id("who")
    assert "Baktiar Emri" in who.inner_text()

    tile = page.locator(f'a[href="/wilayah/{GALUR}/"]').first
    assert tile.is_visible(), "the home page shows no Galur tile"
    assert "Galur" in tile.inner_text()

    with page.expect_navigation():
        tile.click()
    assert page.url.endswith(f"/wilayah/{GALUR}/"), page.url
    assert "Galur" in page.get_by_test_id("wilayah-title").inner_text()

    page.locator('#map[data-ready="1"]').wait_for(state="attached", timeout=15_000)
    shot = demo_server.state_dir / "screenshots" / "galur-wilayah.png"
    shot.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(shot), full_page=True)

    self_path = page.locator("#map path.wilayah-self")
    assert self_path.count() == 1, f"expected one Galur polygon, found {self_path.count()}"
    assert self_path.is_visible(), f"the Galur polygon is not visible (screenshot: {shot})"
    box = self_path.bounding_box()
    assert box is not None, f"the Galur polygon has no box (screenshot: {shot})"
    assert box["width"] > 20 and box["height"] > 20, f"Galur polygon too small: {box}"

    neighbours = page.locator("#map path.wilayah-neighbour")
    assert neighbours.count() >= 2, f"only {neighbours.count()} neighbour outlines drawn"


def test_galur_cannot_open_tanah_tinggi(page, demo_server):
    login(page, "galur")
    response = page.goto(f"/wilayah/{TANAH_TINGGI}/")
    assert response is not None
    assert response.status == 404, f"/wilayah/{TANAH_TINGGI}/ as galur -> {response.status}"

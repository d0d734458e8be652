"""The Galur officer opens today's patrol plan on the map, marks the first stop done,
and finds it in the field log; the phone app shows the same plan."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.e2e

PASSWORD = "sejuk-demo-2024"


def login(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/login/")
    page.locator('input[name="username"]').fill(username)
    page.locator('input[name="password"]').fill(password)
    with page.expect_navigation():
        page.locator('form button[type="submit"]').click()


def test_officer_marks_a_stop_of_todays_plan_done(page, demo_server):
    login(page, "galur")
    with page.expect_navigation():
        page.get_by_test_id("my-plan").click()
    assert "/patrol/plans/" in page.url, f"the plan tile did not open the plan: {page.url}"

    page.locator('#pt-map[data-ready="1"]').wait_for(state="attached", timeout=15_000)
    pins = page.locator("#pt-map .pt-pin")
    n = int(page.locator("#pt-map").get_attribute("data-stops"))
    assert n >= 3 and pins.count() == n, f"{pins.count()} numbered pins for {n} stops"
    assert page.locator("#pt-map path.pt-route").count() == 1
    assert pins.first.inner_text().strip() == "1"
    shot = demo_server.state_dir / "screenshots" / "galur-plan.png"
    shot.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(shot), full_page=True)

    first = page.locator('[data-testid="route-stop"][data-seq="1"]')
    name = first.locator("td").nth(2).inner_text().split("\n")[0]
    assert first.get_attribute("data-done") == "0"
    with page.expect_navigation():
        first.get_by_test_id("mark-done").click()
    first = page.locator('[data-testid="route-stop"][data-seq="1"]')
    assert first.get_attribute("data-done") == "1", page.content()[:2000]
    assert page.locator("#pt-map .pt-pin-done").count() == 1
    link = first.get_by_test_id("field-log-link")
    href = link.get_attribute("href")
    assert href and href.startswith("/fieldwork/activities/")

    # The field log has the patrol with a visit to that titik rawan.
    with page.expect_navigation():
        link.click()
    assert name in page.content()

    # The phone app shows today's plan, with the stop done.
    page.goto("/field/")
    stops = page.get_by_test_id("plan-stop")
    stops.first.wait_for(timeout=15_000)
    assert stops.count() == n
    assert stops.first.get_attribute("data-done") == "1"
    data = json.loads(page.evaluate("() => fetch('/api/v1/patrol/today').then(r => r.text())"))
    assert data["plan"]["stops"][0]["done"] is True

"""The Kapolres opens the risk map of voting day, sees Jakarta Pusat coloured by
level, clicks Galur and reads why it scores what it scores."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.e2e

PASSWORD = "sejuk-demo-2024"
GALUR = "31.71.08.1003"
VOTING_DAY = "2024-11-27"


def login(page, username: str) -> None:
    page.goto("/login/")
    page.locator('input[name="username"]').fill(username)
    page.locator('input[name="password"]').fill(PASSWORD)
    with page.expect_navigation():
        page.locator('form button[type="submit"]').click()


def test_the_kapolres_reads_the_map_and_galurs_explanation(page, demo_server):
    login(page, "kapolres.jakpus")
    page.goto(f"/risk/?date={VOTING_DAY}")
    page.locator('#risk-map[data-ready="1"]').wait_for(state="attached", timeout=15_000)
    # Every kelurahan of Jakarta Pusat is drawn, coloured by its level.
    assert page.locator("path.risk-kelurahan").count() == 44
    assert page.locator("path.risk-none").count() == 0
    assert page.locator("path.risk-tinggi").count() >= 1
    rows = page.get_by_test_id("risk-table").locator("tbody tr")
    assert rows.count() == 44
    shot = demo_server.state_dir / "screenshots" / "risk-map.png"
    shot.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(shot), full_page=True)

    galur = page.locator(f"path.risk-k-{GALUR.replace('.', '-')}")
    with page.expect_navigation():
        galur.click(force=True)
    assert re.search(rf"/risk/kelurahan/{re.escape(GALUR)}/\?date={VOTING_DAY}$", page.url)
    score = page.get_by_test_id("score").inner_text()
    assert page.get_by_test_id("explained-total").inner_text() == score
    shown = [
        float(t.replace(",", "."))
        for t in page.locator(
            '[data-testid="explanation"] tr[data-component] td.rk-num, '
            '[data-testid="explanation"] tr[data-component="calendar"] th.rk-num'
        ).all_inner_texts()
    ]
    assert round(sum(shown), 1) == float(score.replace(",", "."))
    assert page.get_by_test_id("trend-chart").locator(".rk-bar").count() == 14
    page.screenshot(path=str(shot.with_name("risk-galur.png")), full_page=True)

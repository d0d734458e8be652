"""The officer's PWA with no signal: a patrol logged offline survives a reload,
reaches the server exactly once when the phone is back online, and a forced
resubmission of the same payload creates nothing new (docs/pwa.md)."""

from __future__ import annotations

import json
import math
import urllib.request
from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

PASSWORD = "sejuk-demo-2024"
GALUR = "31.71.08.1003"
# Jalan Topaz RT 05 RW 02, where the demo's Galur titik rawan are.
TOPAZ = (-6.1762, 106.8554)
SYNC_URL = "/api/v1/field/activities/sync"

# fetch() from the page, as the logged-in officer, with the CSRF header.
FETCH_JSON = """async ([method, path, body]) => {
  const m = document.cookie.match(/(?:^|; )csrftoken=([^;]*)/);
  const headers = {Accept: "application/json"};
  if (method !== "GET") {
    headers["Content-Type"] = "application/json";
    headers["X-CSRFToken"] = m ? decodeURIComponent(m[1]) : "";
  }
  const r = await fetch(path, {method, headers, body, credentials: "same-origin", cache: "no-store"});
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch (e) { json = {raw: text.slice(0, 500)}; }
  return {status: r.status, body: json};
}"""


def login(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/login/")
    page.locator('input[name="username"]').fill(username)
    page.locator('input[name="password"]').fill(password)
    with page.expect_navigation():
        page.locator('form button[type="submit"]').click()


def api(page, method: str, path: str, body: str | None = None) -> dict:
    return page.evaluate(FETCH_JSON, [method, path, body])


def metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    r = 6371008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def camera_photo(path: Path, size: tuple[int, int] = (2000, 1500)) -> Path:
    """A real JPEG as big as a cheap phone camera's, so the on-device resize runs."""
    w, h = size
    across = Image.linear_gradient("L").rotate(90).resize(size)
    down = Image.linear_gradient("L").resize(size)
    img = Image.merge("RGB", (across, down, Image.radial_gradient("L").resize(size)))
    draw = ImageDraw.Draw(img)
    for i in range(0, w, 40):
        draw.line((i, 0, w - i, h), fill=(255 - i % 255, i % 255, 90), width=3)
    draw.rectangle((w // 4, h // 4, w // 2, h // 2), fill=(255, 255, 255))
    draw.ellipse((w // 2, h // 2, w * 3 // 4, h * 3 // 4), fill=(11, 110, 79))
    img.save(path, "JPEG", quality=90)
    return path


def activities_with(page, client_uuid: str) -> list[dict]:
    """The server's activities carrying ``client_uuid``, from the unfiltered list too."""
    filtered = api(page, "GET", f"/api/v1/field/activities?client_uuid={client_uuid}")
    assert filtered["status"] == 200, filtered
    everything = api(page, "GET", "/api/v1/field/activities?limit=1000")
    assert everything["status"] == 200, everything
    in_list = [a for a in everything["body"] if a["client_uuid"] == client_uuid]
    assert len(in_list) == len(filtered["body"]), (in_list, filtered["body"])
    return filtered["body"]


def test_a_patrol_logged_offline_survives_a_reload_and_syncs_exactly_once(
    page, demo_server, tmp_path
):
    context = page.context
    origin = demo_server.base_url.rstrip("/")
    context.grant_permissions(["geolocation"], origin=origin)
    photo = camera_photo(tmp_path / "patroli.jpg")

    # --- online: open the app, let the service worker install and cache the day's data
    login(page, "galur")
    page.goto("/field/")
    page.wait_for_function(
        "() => !!navigator.serviceWorker.controller"
        " && navigator.serviceWorker.controller.state === 'activated'"
    )
    expect(page.get_by_test_id("offline-ready")).to_have_attribute("data-ready", "1")
    status = page.get_by_test_id("sync-status")
    expect(status).to_have_attribute("data-state", "synced")

    boot = api(page, "GET", "/api/v1/field/bootstrap")
    assert boot["status"] == 200, boot
    galur_titik = [t for t in boot["body"]["titik"] if t["kelurahan"] == GALUR]
    assert galur_titik, "the demo has no active titik rawan in Galur"
    titik = min(galur_titik, key=lambda t: metres(t["lat"], t["lon"], *TOPAZ))
    assert metres(titik["lat"], titik["lon"], *TOPAZ) < 300, titik
    # Standing about 20 m north of the point, with a decent fix.
    context.set_geolocation(
        {"latitude": titik["lat"] + 0.00018, "longitude": titik["lon"], "accuracy": 12}
    )

    # --- offline: log the patrol
    context.set_offline(True)
    expect(status).to_have_attribute("data-state", "offline")
    expect(status).to_contain_text("Offline")

    form = page.locator("#activity-form")
    form.locator("label.choice", has=page.locator('input[name="kind"][value="patroli"]')).click()
    expect(form.locator('input[name="kind"][value="patroli"]')).to_be_checked()
    form.locator('select[name="kelurahan"]').select_option(GALUR)

    row = page.locator(f'[data-testid="titik"][data-titik-id="{titik["id"]}"]')
    expect(row).to_be_visible()
    row.get_by_test_id("checkin").click()
    expect(row).to_have_attribute("data-checked-in", "1")
    expect(row.locator('input[name="titik"]')).to_be_checked()
    expect(row.get_by_test_id("checkin-result")).to_contain_text("m")

    form.locator('textarea[name="people_met"]').fill("Ketua RT 05 Ujang dan warga")
    form.locator('input[name="people_count"]').fill("12")
    form.locator(
        "label.choice", has=page.locator('input[name="topics"][value="cooling_system"]')
    ).click()
    form.locator("label.choice", has=page.locator('input[name="topics"][value="hoaks"]')).click()
    form.locator('textarea[name="appeals"]').fill("Jangan terprovokasi isu negatif di media sosial")
    form.locator('input[name="follow_up_needed"]').check()
    form.locator('[data-action="add-complaint"]').click()
    complaint = form.get_by_test_id("complaint").first
    complaint.locator('input[name="c_summary"]').fill("Lampu jalan mati di Jl. Topaz")
    complaint.locator('input[name="c_raised_by"]').fill("Ketua RT 05")

    form.locator('input[name="photo"]').set_input_files(str(photo))
    thumb = page.get_by_test_id("photo-thumb")
    expect(thumb).to_have_count(1)
    # Resized on the phone: longest side 1600 px, same aspect.
    expect(thumb).to_have_attribute("data-width", "1600")
    expect(thumb).to_have_attribute("data-height", "1200")
    assert int(thumb.get_attribute("data-size")) < photo.stat().st_size

    page.get_by_test_id("save").click()
    # Only ours waits: the list also shows logs already on the server (other tests of this
    # session, e.g. a patrol-plan stop marked done, share the demo server).
    queued = page.locator('[data-testid="outbox-item"][data-state="queued"]')
    expect(queued).to_have_count(1)
    item = queued
    client_uuid = item.get_attribute("data-uuid")
    assert client_uuid and len(client_uuid) == 36, client_uuid
    expect(status).to_have_attribute("data-pending", "1")
    expect(status).to_contain_text("Menunggu: 1")

    # --- reload, still offline: the service worker serves the shell, IndexedDB the outbox
    response = page.reload()
    assert response is not None and response.from_service_worker, (
        "the shell did not come from the SW"
    )
    expect(page.locator("#app")).to_have_attribute("data-bootstrap", "cached")
    item = page.locator(f'[data-testid="outbox-item"][data-uuid="{client_uuid}"]')
    expect(item).to_have_attribute("data-state", "queued")
    expect(queued).to_have_count(1)
    expect(status).to_have_attribute("data-state", "offline")
    expect(status).to_have_attribute("data-pending", "1")
    expect(status).to_contain_text("Menunggu: 1")

    # --- back online: the outbox drains by itself (activity, then photo)
    with page.expect_request(
        lambda r: r.method == "POST" and r.url.endswith(SYNC_URL), timeout=30_000
    ) as sent:
        context.set_offline(False)
    payload = sent.value.post_data
    assert json.loads(payload)["client_uuid"] == client_uuid
    expect(item).to_have_attribute("data-state", "synced", timeout=30_000)
    expect(status).to_have_attribute("data-state", "synced")
    expect(status).to_have_attribute("data-pending", "0")
    expect(status).to_contain_text("Tersinkron")

    rows = activities_with(page, client_uuid)
    assert len(rows) == 1, rows
    activity = rows[0]
    assert activity["photos"] == 1, activity
    assert activity["kind"] == "patroli" and activity["kelurahan"] == GALUR, activity
    assert activity["people_count"] == 12 and activity["follow_up_needed"] is True, activity
    assert sorted(activity["topics"]) == ["cooling_system", "hoaks"], activity
    [visit] = activity["visits"]
    assert visit["titik_id"] == titik["id"], visit
    assert visit["distance_m"] is not None and visit["distance_m"] < 50, visit
    assert visit["flagged"] is False, visit
    assert [c["summary"] for c in activity["complaints"]] == ["Lampu jalan mati di Jl. Topaz"]

    # --- a forced resubmission of the very same payload changes nothing
    again = api(page, "POST", SYNC_URL, payload)
    assert again["status"] == 200, again
    assert again["body"]["status"] == "duplicate", again
    assert again["body"]["id"] == activity["id"], again
    assert again["body"]["version"] == activity["version"], again
    rows = activities_with(page, client_uuid)
    assert len(rows) == 1 and rows[0]["photos"] == 1 and rows[0]["version"] == activity["version"]


def test_the_field_app_is_for_officers_and_their_polsek_only(page, demo_server):
    login(page, "kapolres.jakpus")
    response = page.goto("/field/")
    assert response is not None and response.status == 404, response and response.status


def test_manifest_and_service_worker_are_served_for_install(demo_server):
    with urllib.request.urlopen(demo_server.url("field/sw.js"), timeout=10) as resp:
        assert resp.headers["Content-Type"].startswith("application/javascript")
        assert resp.headers["Service-Worker-Allowed"] == "/field/"
        assert "no-cache" in resp.headers["Cache-Control"]
        body = resp.read().decode()
    assert "SEJUK_CONFIG" not in body and '"version": "dev"' not in body

    with urllib.request.urlopen(demo_server.url("field/manifest.webmanifest"), timeout=10) as resp:
        assert resp.headers["Content-Type"].startswith("application/manifest+json")
        manifest = json.loads(resp.read())
    assert manifest["name"] == "Sejuk Lapangan"
    assert manifest["start_url"] == manifest["scope"] == "/field/"
    assert manifest["display"] == "standalone"
    assert manifest["theme_color"] == "#0b6e4f"
    sizes = {}
    for icon in manifest["icons"]:
        with urllib.request.urlopen(demo_server.url(icon["src"]), timeout=10) as resp:
            assert resp.headers["Content-Type"] == "image/png"
            sizes[icon["sizes"]] = Image.open(BytesIO(resp.read())).size
    assert sizes == {"192x192": (192, 192), "512x512": (512, 512)}

"""A resident files a report with a photo on a phone, with no account, gets a
ticket and follows its status, while the Galur officer verifies, follows up
and resolves it on the desktop pages (docs/reports.md)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from PIL import ExifTags, Image, ImageDraw
from PIL.TiffImagePlugin import IFDRational
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

PASSWORD = "sejuk-demo-2024"
GALUR = "31.71.08.1003"
# Jalan Topaz RT 05 RW 02, inside Galur.
TOPAZ = (-6.1762, 106.8554)
DESCRIPTION = "Spanduk paslon di Jalan Topaz dirobek lagi tadi pagi, warga mulai saling tuduh."
INTERNAL = "Catatan internal E2E: pelapor tetangga ketua RT, jangan disebut"
RESOLUTION = "Spanduk dipasang kembali; warga RT 05 diimbau tidak terprovokasi."
PHONE_VIEWPORT = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


def shots_dir(demo_server) -> Path:
    path = Path(os.environ.get("SEJUK_E2E_SCREENSHOTS") or demo_server.state_dir / "screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


def camera_photo(path: Path, size: tuple[int, int] = (2400, 1800)) -> Path:
    """A real JPEG as a phone camera makes it: big, with the GPS position in its EXIF."""
    w, h = size
    across = Image.linear_gradient("L").rotate(90).resize(size)
    down = Image.linear_gradient("L").resize(size)
    img = Image.merge("RGB", (across, down, Image.radial_gradient("L").resize(size)))
    draw = ImageDraw.Draw(img)
    for i in range(0, w, 30):
        draw.line((i, 0, w - i, h), fill=(255 - i % 255, i % 255, 90), width=3)
    draw.rectangle((w // 4, h // 4, w // 2, h // 2), fill=(255, 255, 255))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Acme Optics"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "S"
    gps[ExifTags.GPS.GPSLatitude] = (IFDRational(6, 1), IFDRational(10, 1), IFDRational(34, 1))
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (IFDRational(106, 1), IFDRational(51, 1), IFDRational(19, 1))
    img.save(path, "JPEG", quality=95, exif=exif)
    return path


def new_context(browser, demo_server, viewport, **kw):
    context = browser.new_context(
        viewport=viewport,
        base_url=demo_server.base_url,
        locale="id-ID",
        timezone_id="Asia/Jakarta",
        **kw,
    )
    context.set_default_timeout(15_000)
    return context


def login(page, username: str) -> None:
    page.goto("/login/")
    page.locator('input[name="username"]').fill(username)
    page.locator('input[name="password"]').fill(PASSWORD)
    with page.expect_navigation():
        page.locator('form button[type="submit"]').click()


def click_map_at(page, kode: str, lat: float, lon: float) -> None:
    """Fit the map to a kelurahan outline, then click the real map where (lat, lon) is."""
    page.locator("#rp-map").scroll_into_view_if_needed()
    point = page.evaluate(
        """([kode, lat, lon]) => {
          const map = document.getElementById("rp-map").leafletMap;
          let target = null;
          map.eachLayer((l) => { if (l.feature && l.feature.properties.kode === kode) target = l; });
          if (!target) return null;
          map.fitBounds(target.getBounds(), {animate: false, padding: [10, 10]});
          const p = map.latLngToContainerPoint([lat, lon]);
          return {x: p.x, y: p.y};
        }""",
        [kode, lat, lon],
    )
    assert point is not None, f"no outline of {kode} on the map"
    box = page.locator("#rp-map").bounding_box()
    assert box and 0 < point["x"] < box["width"] and 0 < point["y"] < box["height"], (point, box)
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])


def act(page, action: str, **fields: str) -> None:
    """Open an action's panel on the report page, fill it and submit."""
    panel = page.get_by_test_id(f"action-{action}")
    expect(panel).to_be_visible()
    if panel.get_attribute("open") is None:
        panel.locator("summary").click()
    for name, value in fields.items():
        panel.locator(f'[name="{name}"]').fill(value)
    with page.expect_navigation():
        panel.get_by_test_id(f"do-{action}").click()
    expect(page.locator(".messages")).to_be_visible()


def test_a_resident_follows_a_report_while_the_galur_officer_resolves_it(
    browser, demo_server, tmp_path
):
    shots = shots_dir(demo_server)
    resident_ctx = new_context(
        browser,
        demo_server,
        PHONE_VIEWPORT,
        geolocation={"latitude": TOPAZ[0], "longitude": TOPAZ[1], "accuracy": 12},
        permissions=["geolocation"],
        is_mobile=True,
        has_touch=True,
    )
    officer_ctx = new_context(browser, demo_server, DESKTOP)
    kapolsek_ctx = new_context(browser, demo_server, DESKTOP)
    try:
        # --- the resident, on a phone, no account --------------------------------------
        page = resident_ctx.new_page()
        page.goto("/lapor/")
        page.locator('#rp-map[data-ready="1"]').wait_for(state="attached")
        assert page.locator("#rp-map path.rp-outline").count() > 10, "no kelurahan outlines drawn"
        page.screenshot(path=str(shots / "lapor-form-390.png"), full_page=True)

        page.locator('label.rp-cat:has(input[value="vandalism"])').click()
        expect(page.locator('input[name="category"][value="vandalism"]')).to_be_checked()
        page.locator('textarea[name="description"]').fill(DESCRIPTION)

        # "Use my GPS" puts the pin where the phone is...
        page.locator("[data-rp-gps]").click()
        expect(page.locator('input[name="lat"]')).to_have_value(f"{TOPAZ[0]:.6f}")
        expect(page.locator('input[name="lon"]')).to_have_value(f"{TOPAZ[1]:.6f}")
        expect(page.get_by_test_id("picked-place")).to_contain_text("Galur")

        # ...and a tap on the map moves it (a point a little north-east, still in Galur).
        target = (TOPAZ[0] + 0.0004, TOPAZ[1] + 0.0003)
        click_map_at(page, GALUR, *target)
        expect(page.locator('input[name="lat"]')).not_to_have_value(f"{TOPAZ[0]:.6f}")
        lat = float(page.locator('input[name="lat"]').input_value())
        lon = float(page.locator('input[name="lon"]').input_value())
        assert abs(lat - target[0]) < 0.0002 and abs(lon - target[1]) < 0.0002, (lat, lon)
        expect(page.get_by_test_id("picked-place")).to_contain_text("Galur")
        page.locator('input[name="address_text"]').fill("Jl. Topaz RT 05 RW 02")

        photo = camera_photo(tmp_path / "IMG_20241126_0715.jpg")
        page.locator('input[type="file"][name="photos"]').set_input_files(str(photo))
        page.locator('input[name="reporter_name"]').fill("Siti Aminah")
        page.locator('input[name="reporter_contact"]').fill("0812 3456 7890")
        page.screenshot(path=str(shots / "lapor-form-filled-390.png"), full_page=True)

        with page.expect_navigation(url=re.compile(r"/lapor/tiket/[A-Z0-9-]+/")):
            page.get_by_test_id("send-report").click()
        expect(page.get_by_test_id("received-banner")).to_be_visible()
        ticket = page.get_by_test_id("ticket-code").inner_text().strip()
        assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}", ticket), ticket
        status_url = f"/lapor/tiket/{ticket}/"
        page.screenshot(path=str(shots / "lapor-ticket-390.png"), full_page=True)
        first_status = page.get_by_test_id("status-label").inner_text()

        # --- the Galur officer, on the desktop -------------------------------------------
        op = officer_ctx.new_page()
        login(op, "galur")
        op.goto("/reports/")
        row = op.locator(f'[data-testid="report-row"][data-ticket="{ticket}"]')
        expect(row).to_be_visible()
        with op.expect_navigation():
            row.locator("a.rp-ticket").click()
        expect(op.get_by_test_id("ticket")).to_have_text(ticket)
        expect(op.get_by_test_id("kelurahan")).to_contain_text("Galur")
        img = op.get_by_test_id("photos").locator("img")
        expect(img).to_have_count(1)
        img.scroll_into_view_if_needed()
        op.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=img.element_handle()
        )
        op.locator('#rp-map[data-ready="1"]').wait_for(state="attached")

        act(op, "verify", note="Dicek lewat telepon ke ketua RT")
        expect(op.locator(".rp-head-badges .rp-s-verified")).to_be_visible()
        act(op, "note", note=INTERNAL)
        expect(op.get_by_test_id("timeline")).to_contain_text(INTERNAL)

        page.reload()
        expect(page.locator('[data-testid="status-label"].rp-s-verified')).to_be_visible()
        assert page.get_by_test_id("status-label").inner_text() != first_status
        assert INTERNAL not in page.content()

        act(op, "follow_up")
        expect(op.locator(".rp-head-badges .rp-s-in_follow_up")).to_be_visible()
        expect(op.get_by_test_id("officer")).to_contain_text("Baktiar Emri")
        act(op, "resolve", note=RESOLUTION)
        expect(op.locator(".rp-head-badges .rp-s-resolved")).to_be_visible()
        op.locator('#rp-map[data-ready="1"]').wait_for(state="attached")
        dot = op.locator("#rp-map path.rp-point").bounding_box()
        assert dot and dot["width"] < 40, f"the report's point is drawn {dot}"
        op.screenshot(path=str(shots / "report-detail-desktop.png"), full_page=True)

        # --- the resident reloads the ticket page -------------------------------------------
        page.goto(status_url)
        label = page.get_by_test_id("status-label")
        expect(label).to_have_text(re.compile(r"selesai|resolved", re.IGNORECASE))
        expect(page.get_by_test_id("resolution")).to_contain_text(RESOLUTION)
        expect(page.get_by_test_id("public-timeline")).to_contain_text(RESOLUTION)
        expect(page.get_by_test_id("rate-form")).to_be_visible()
        body = page.content()
        assert INTERNAL not in body and "0812 3456 7890" not in body and "Siti Aminah" not in body
        page.screenshot(path=str(shots / "lapor-resolved-390.png"), full_page=True)

        # The officer's queue and report page on his phone, for the record.
        op.set_viewport_size(PHONE_VIEWPORT)
        op.goto("/reports/search/")
        op.screenshot(path=str(shots / "reports-search-390.png"), full_page=True)
        op.locator(f'[data-testid="report-row"][data-ticket="{ticket}"] a.rp-ticket').click()
        op.locator('#rp-map[data-ready="1"]').wait_for(state="attached")
        op.screenshot(path=str(shots / "report-detail-390.png"), full_page=True)

        # The Kapolsek's board on a desktop, for the record.
        board = kapolsek_ctx.new_page()
        login(board, "kapolsek.joharbaru")
        board.goto("/reports/board/")
        expect(board.get_by_test_id("board")).to_be_visible()
        board.screenshot(path=str(shots / "board-desktop.png"), full_page=True)
    finally:
        for context in (resident_ctx, officer_ctx, kapolsek_ctx):
            context.close()


def test_the_110_operator_logs_a_call_with_the_keyboard_only(browser, demo_server):
    context = new_context(browser, demo_server, DESKTOP)
    try:
        page = context.new_page()
        login(page, "operator110.jakpus")
        page.goto("/reports/operator/")
        category = page.locator('select[name="category"]')
        expect(category).to_be_focused()

        page.keyboard.press("2")  # 2 = money politics, then on to the caller
        expect(category).to_have_value("money_politics")
        expect(page.locator('input[name="caller_name"]')).to_be_focused()
        page.keyboard.type("Pak Budi")
        page.keyboard.press("Tab")
        page.keyboard.type("0813 1111 2222")
        page.keyboard.press("Tab")  # the anonymity box
        page.keyboard.press("Tab")
        expect(page.locator('input[name="kelurahan_q"]')).to_be_focused()
        page.keyboard.type("galu")
        expect(page.locator("[data-rp-ac-list] li").first).to_contain_text("Galur")
        page.keyboard.press("Enter")  # picks the suggestion, does not submit
        expect(page.locator('input[name="kelurahan"]')).to_have_value(GALUR)
        expect(page.locator("[data-rp-picked]")).to_contain_text("Johar Baru")
        page.keyboard.press("Tab")
        page.keyboard.type("dekat pos RW 02")
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")
        expect(page.locator('textarea[name="description"]')).to_be_focused()
        page.keyboard.type("Penelepon melihat pembagian amplop oleh tim sukses di pos RW 02.")
        page.screenshot(path=str(shots_dir(demo_server) / "operator-desktop.png"), full_page=True)
        with page.expect_navigation():
            page.keyboard.press("Control+Enter")

        saved = page.get_by_test_id("saved")
        expect(saved).to_be_visible()
        ticket = page.get_by_test_id("saved-ticket").inner_text().strip()
        assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}", ticket), ticket
        expect(page.get_by_test_id("saved-kelurahan")).to_contain_text("Galur")
        expect(page.get_by_test_id("saved-polsek")).to_contain_text("Johar Baru")
        expect(page.get_by_test_id("saved-officer")).to_contain_text("Baktiar Emri")
        # Ready for the next call.
        expect(page.locator('select[name="category"]')).to_be_focused()
        expect(page.locator('select[name="category"]')).to_have_value("")
        expect(page.get_by_test_id("recent")).to_contain_text(ticket)
        page.screenshot(
            path=str(shots_dir(demo_server) / "operator-saved-desktop.png"), full_page=True
        )
    finally:
        context.close()

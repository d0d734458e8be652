"""Telegram bot webhook: the secret-token header, Update objects shaped as the
Bot API documents them, the same guided conversation, redeliveries, photos and
the live sender talking to sendMessage."""

from __future__ import annotations

import io
import itertools
import json

import pytest
from PIL import ExifTags, Image
from PIL.TiffImagePlugin import IFDRational

from sejuk.lib import crypto
from sejuk.lib.images import has_gps_exif
from sejuk.reports import actions, routing, senders
from sejuk.reports.models import InboundMessage, OutboundMessage, Report

URL = "/webhooks/telegram/"
SECRET = "Sejuk_Telegram-Secret_0123456789"
CHAT = 1111111
GALUR = "31.71.08.1003"
_updates = itertools.count(10000)


@pytest.fixture(autouse=True)
def telegram(settings, tmp_path):
    settings.SEJUK_TELEGRAM_SECRET_TOKEN = SECRET
    settings.SEJUK_SENDERS = "record"
    settings.MEDIA_ROOT = tmp_path


def update(content: dict, *, chat_id: int = CHAT, update_id: int | None = None) -> dict:
    n = next(_updates) if update_id is None else update_id
    return {
        "update_id": n,
        "message": {
            "message_id": n - 9999,
            "from": {"id": chat_id, "is_bot": False, "first_name": "Warga", "language_code": "id"},
            "chat": {"id": chat_id, "first_name": "Warga", "type": "private"},
            "date": 1731556800,
            **content,
        },
    }


def text(body: str, **kw) -> dict:
    return update({"text": body}, **kw)


def post(client, payload: dict | None = None, *, body: bytes | None = None, token=SECRET):
    raw = body if body is not None else json.dumps(payload).encode()
    headers = {} if token is None else {"X-Telegram-Bot-Api-Secret-Token": token}
    return client.post(URL, raw, content_type="application/json", headers=headers)


def say(client, payload: dict) -> list[str]:
    before = OutboundMessage.objects.count()
    r = post(client, payload)
    assert r.status_code == 200, r.content
    return [t for _to, t in senders.recorded("telegram")[before:]]


def converse(client, steps: list, **kw) -> list[str]:
    replies: list[str] = []
    for step in steps:
        replies = say(client, text(step, **kw) if isinstance(step, str) else step)
    return replies


# --- the secret header ------------------------------------------------------------------


def test_a_text_update_with_the_secret_is_answered_with_the_menu(client, db):
    r = post(client, text("/start"))
    assert r.status_code == 200 and r.json() == {"ok": True}
    (to, greeting), (_, menu) = senders.recorded("telegram")
    assert to == str(CHAT) and greeting.startswith("Halo") and "2. Politik uang" in menu


def test_a_missing_secret_header_is_401(client, db):
    assert post(client, text("halo"), token=None).status_code == 401
    assert not InboundMessage.objects.exists() and not OutboundMessage.objects.exists()


@pytest.mark.parametrize("token", ["wrong", SECRET + "x", SECRET[:-1], SECRET.lower()])
def test_a_wrong_secret_header_is_403(client, db, token):
    assert post(client, text("halo"), token=token).status_code == 403
    assert not OutboundMessage.objects.exists()


def test_an_unconfigured_secret_refuses_every_update(client, db, settings):
    settings.SEJUK_TELEGRAM_SECRET_TOKEN = ""
    assert post(client, text("halo"), token="anything").status_code == 403


@pytest.mark.parametrize("body", [b"{oops", b"[]", b'"text"', b'{"message": {}}', b'{"update_id": "1"}'])  # fmt: skip
def test_malformed_updates_are_400(client, db, body):
    r = post(client, body=body)
    assert r.status_code == 400 and "detail" in r.json()


def test_only_post_is_allowed(client, db):
    assert client.get(URL).status_code == 405


@pytest.mark.parametrize(
    "content",
    [
        {"sticker": {"file_id": "CAACAgIAAxkBAAIB", "file_unique_id": "AgADsw", "type": "regular",
                     "width": 512, "height": 512, "is_animated": False, "is_video": False}},
        {"voice": {"file_id": "AwACAgUAAxkBAAIC", "file_unique_id": "AgADvQ", "duration": 3,
                   "mime_type": "audio/ogg", "file_size": 9000}},
        {"audio": {"file_id": "CQACAgUAAxkBAAID", "file_unique_id": "AgADvg", "duration": 120}},
        {"contact": {"phone_number": "+6281200000000", "first_name": "Pak RT"}},
        {"poll": {"id": "5", "question": "?", "options": [], "total_voter_count": 0,
                  "is_closed": False, "is_anonymous": True, "type": "regular",
                  "allows_multiple_answers": False}},
        {"dice": {"emoji": "\U0001f3b2", "value": 4}},
        {"document": {"file_id": "BQACAgUAAxkBAAIE", "file_unique_id": "AgADvw",
                      "file_name": "bukti.pdf", "mime_type": "application/pdf"}},
    ],
    ids=["sticker", "voice", "audio", "contact", "poll", "dice", "pdf"],
)  # fmt: skip
def test_unknown_message_types_get_a_polite_reply_and_never_a_500(client, db, content):
    replies = say(client, update(content))
    assert replies[0].startswith("Maaf, jenis pesan ini belum bisa kami proses")


def test_edits_callbacks_groups_and_bots_are_acknowledged_without_replies(client, db):
    edited = text("halo")
    edited["edited_message"] = edited.pop("message")
    group = text("halo")
    group["message"]["chat"] = {"id": -100123, "title": "Warga RW 02", "type": "supergroup"}
    bot = text("halo")
    bot["message"]["from"]["is_bot"] = True
    member = {"update_id": 10999, "my_chat_member": {"chat": {"id": CHAT, "type": "private"}}}
    for payload in (edited, group, bot, member):
        assert post(client, payload).status_code == 200
    assert not OutboundMessage.objects.exists()


# --- the conversation end to end -------------------------------------------------------------


def test_a_full_conversation_with_a_typed_place_files_a_report(client, db):
    replies = converse(client, ["halo", "4", "Jalan Topaz RT 05 Kelurahan Galur",
                                "Dua kelompok pemuda bentrok usai kampanye, ada yang membawa batu.",
                                "lewati", "ya"])  # fmt: skip
    report = Report.objects.get()
    assert report.channel == "telegram" and report.category == "crowd"
    assert report.address_text == "Jalan Topaz RT 05 Kelurahan Galur" and report.lat is None
    if report.located_by == "gazetteer":
        assert report.kelurahan_id == GALUR
        assert report.assigned_officer.name == "Baktiar Emri"
        assert "Galur" in replies[-1]
    else:  # not placed: the Polres triage queue
        assert report.located_by == "triage" and report.kelurahan_id is None
        assert report.polres_id == routing.triage_unit().pk
    assert report.ticket in replies[-1]
    assert report.reporter_name_enc and crypto.decrypt(report.reporter_name_enc) == "Warga"
    # Ids of old accounts are shorter than the contact validator accepts; the
    # report is filed either way (see docs/channels.md).
    assert crypto.decrypt(report.reporter_contact_enc) in ("", f"telegram:{CHAT}")


def test_a_recent_account_id_is_kept_as_the_contact(client, db):
    converse(client, ["halo", "1", "Jalan Topaz", "Ada hoaks surat suara sudah dicoblos beredar.",
                      "lewati", "ya"], chat_id=5123456789)  # fmt: skip
    report = Report.objects.get()
    assert crypto.decrypt(report.reporter_contact_enc) == "telegram:5123456789"
    assert report.reporter_hash


def test_a_shared_location_routes_to_galur(client, db):
    converse(client, ["halo", "3"])
    replies = say(client, update({"location": {"latitude": -6.1762, "longitude": 106.8554}}))
    assert replies[0] == "Lokasi diterima."
    converse(client, ["Ketua RT diintimidasi oleh tim sukses.", "lewati", "tidak"])
    report = Report.objects.get()
    assert report.kelurahan_id == GALUR and report.assigned_officer.name == "Baktiar Emri"
    assert report.anonymous and report.reporter_contact_enc == ""


def test_a_venue_counts_as_a_location(client, db):
    converse(client, ["halo", "3"])
    venue = {"venue": {"location": {"latitude": -6.1762, "longitude": 106.8554},
                       "title": "Pos RW 02", "address": "Jl. Topaz, Galur"},
             "location": {"latitude": -6.1762, "longitude": 106.8554}}  # fmt: skip
    assert say(client, update(venue))[0] == "Lokasi diterima."


def test_a_redelivered_update_is_handled_once(client, db):
    converse(client, ["halo", "2", "Jalan Topaz", "Ada pembagian amplop di pos RW 02.", "lewati"])
    final = text("ya")
    first = say(client, final)
    assert say(client, final) == []
    assert Report.objects.count() == 1 and Report.objects.get().ticket in first[-1]


def test_the_ticket_code_returns_the_status_and_never_internal_notes(client, db, galur):
    converse(client, ["halo", "5", "Jalan Topaz", "Baliho paslon dirobek orang tak dikenal.",
                      "lewati", "ya"])  # fmt: skip
    report = Report.objects.get()
    actions.do_add_note(galur, report, "INTERNAL-SECRET", public=False)
    replies = say(client, text(report.ticket.replace("-", " ")))
    assert report.ticket in replies[0] and "Diterima, menunggu verifikasi" in replies[0]
    assert all("INTERNAL-SECRET" not in t for _to, t in senders.recorded())


class FakeFetcher:
    def __init__(self, data: bytes):
        self.data, self.asked = data, []

    def fetch(self, channel: str, media_id: str) -> bytes | None:
        self.asked.append((channel, media_id))
        return self.data


def gps_jpeg() -> bytes:
    exif = Image.Exif()
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "S"
    gps[ExifTags.GPS.GPSLatitude] = (IFDRational(6, 1), IFDRational(10, 1), IFDRational(34, 1))
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (IFDRational(106, 1), IFDRational(51, 1), IFDRational(19, 1))
    buf = io.BytesIO()
    Image.new("RGB", (800, 600), (10, 140, 70)).save(buf, "JPEG", exif=exif)
    return buf.getvalue()


@pytest.fixture
def fetcher():
    fake = FakeFetcher(gps_jpeg())
    senders.set_media_fetcher(fake)
    yield fake
    senders.set_media_fetcher(None)


def test_the_largest_photo_size_is_fetched_and_stored_without_gps(client, db, fetcher):
    converse(client, ["halo", "1", "Jalan Topaz", "Selebaran hoaks ditempel di pos ronda."])
    photo = {"photo": [
        {"file_id": "AgACAgUAAxkBAAIFs", "file_unique_id": "AQADs", "width": 90, "height": 67, "file_size": 1234},
        {"file_id": "AgACAgUAAxkBAAIFm", "file_unique_id": "AQADm", "width": 320, "height": 240, "file_size": 15000},
        {"file_id": "AgACAgUAAxkBAAIFx", "file_unique_id": "AQADx", "width": 800, "height": 600, "file_size": 61000},
    ], "caption": "ini fotonya"}  # fmt: skip
    replies = say(client, update(photo))
    assert replies[0] == "Foto diterima (1/3)."
    assert fetcher.asked == [("telegram", "AgACAgUAAxkBAAIFx")]
    say(client, text("ya"))
    stored = Report.objects.get().photos.get()
    with stored.image.open("rb") as f:
        assert not has_gps_exif(f.read())


@pytest.mark.parametrize(
    "bad",
    [{"file_size": "besar"}, {"width": "lebar", "height": 2}, {"file_size": 1e400}, {"width": []}],
)
def test_malformed_photo_sizes_are_ignored_not_a_500(client, db, fetcher, bad):
    converse(client, ["halo", "1", "Jalan Topaz", "Selebaran hoaks ditempel di pos ronda."])
    photo = {"photo": [{"file_id": "AgACAgUAAxkBAAIFz", "width": 90, "height": 67, **bad}]}
    replies = say(client, update(photo))
    assert replies[0] == "Foto diterima (1/3)."
    assert fetcher.asked == [("telegram", "AgACAgUAAxkBAAIFz")]


# --- the live sender ---------------------------------------------------------------------


class FakeResponse(io.BytesIO):
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_live_replies_go_to_send_message(
    client, db, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.SEJUK_SENDERS = "live"
    settings.SEJUK_TELEGRAM_BOT_TOKEN = "123456:ABC-DEF1234ghIkl"
    calls = []

    def urlopen(req, timeout):
        calls.append(req)
        return FakeResponse(b'{"ok": true, "result": {"message_id": 2}}')

    monkeypatch.setattr("urllib.request.urlopen", urlopen)
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, text("halo")).status_code == 200
    assert [r.full_url for r in calls] == [
        "https://api.telegram.org/bot123456:ABC-DEF1234ghIkl/sendMessage"
    ] * 2
    body = json.loads(calls[0].data)
    assert body["chat_id"] == CHAT and body["text"].startswith("Halo")
    assert set(OutboundMessage.objects.values_list("status", flat=True)) == {"sent"}


def test_a_refusal_by_telegram_is_stored_without_the_bot_token(
    client, db, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.SEJUK_SENDERS = "live"
    settings.SEJUK_TELEGRAM_BOT_TOKEN = "123456:ABC-DEF1234ghIkl"

    def urlopen(req, timeout):
        raise OSError(f"cannot reach {req.full_url}")

    monkeypatch.setattr("urllib.request.urlopen", urlopen)
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, text("halo")).status_code == 200
    rows = list(OutboundMessage.objects.all())
    assert rows and all(r.status == "failed" for r in rows)
    assert all("ABC-DEF1234ghIkl" not in r.error and "***" in r.error for r in rows)

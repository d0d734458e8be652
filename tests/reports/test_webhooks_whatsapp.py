"""WhatsApp Business Cloud API webhook: the verification handshake, signatures,
payloads shaped as Meta documents them, the guided conversation end to end,
redeliveries, photos, limits, and the live sender talking to the Graph API."""

from __future__ import annotations

import hashlib
import hmac
import io
import itertools
import json

import pytest
from PIL import ExifTags, Image
from PIL.TiffImagePlugin import IFDRational

from sejuk.lib.images import has_gps_exif
from sejuk.reports import actions, senders
from sejuk.reports.api import LIMIT_MESSAGE
from sejuk.reports.models import InboundMessage, OutboundMessage, Report

URL = "/webhooks/whatsapp"
APP_SECRET = "0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c"
VERIFY_TOKEN = "sejuk-verify-2024"
WA_ID = "6281234567890"
GALUR = "31.71.08.1003"
_ids = itertools.count(1)


@pytest.fixture(autouse=True)
def whatsapp(settings, tmp_path):
    settings.SEJUK_WHATSAPP_APP_SECRET = APP_SECRET
    settings.SEJUK_WHATSAPP_VERIFY_TOKEN = VERIFY_TOKEN
    settings.SEJUK_SENDERS = "record"
    settings.MEDIA_ROOT = tmp_path


def wamid() -> str:
    return f"wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFjNFQjBDMkU5QTdG{next(_ids):08d}AA=="


def message(kind: str, content: dict, *, wa_id: str = WA_ID, mid: str | None = None) -> dict:
    return {"from": wa_id, "id": mid or wamid(), "timestamp": "1731556800", kind: content,
            "type": kind}  # fmt: skip


def text(body: str, **kw) -> dict:
    return message("text", {"body": body}, **kw)


def notification(*messages: dict, statuses: list | None = None) -> dict:
    """A ``whatsapp_business_account`` webhook body as in Meta's documentation."""
    value: dict = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
    }
    if messages:
        value["contacts"] = [{"profile": {"name": "Warga"}, "wa_id": WA_ID}]
        value["messages"] = list(messages)
    if statuses:
        value["statuses"] = statuses
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "WABA_ID", "changes": [{"value": value, "field": "messages"}]}],
    }


def sign(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post(client, payload: dict | None = None, *, body: bytes | None = None, signature=...):
    raw = body if body is not None else json.dumps(payload).encode()
    headers = {} if signature is None else {"X-Hub-Signature-256": sign(raw) if signature is ... else signature}  # fmt: skip
    return client.post(URL, raw, content_type="application/json", headers=headers)


def say(client, *messages: dict) -> list[str]:
    """Post messages; return the replies they produced."""
    before = OutboundMessage.objects.count()
    r = post(client, notification(*messages))
    assert r.status_code == 200, r.content
    return [t for _to, t in senders.recorded("whatsapp")[before:]]


def gps_jpeg() -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "S"
    gps[ExifTags.GPS.GPSLatitude] = (IFDRational(6, 1), IFDRational(10, 1), IFDRational(34, 1))
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (IFDRational(106, 1), IFDRational(51, 1), IFDRational(19, 1))
    buf = io.BytesIO()
    Image.new("RGB", (1024, 768), (200, 60, 40)).save(buf, "JPEG", exif=exif)
    return buf.getvalue()


class FakeFetcher:
    def __init__(self, data: bytes):
        self.data, self.asked = data, []

    def fetch(self, channel: str, media_id: str) -> bytes | None:
        self.asked.append((channel, media_id))
        return self.data


@pytest.fixture
def fetcher():
    fake = FakeFetcher(gps_jpeg())
    senders.set_media_fetcher(fake)
    yield fake
    senders.set_media_fetcher(None)


# --- the handshake ---------------------------------------------------------------


def test_the_handshake_echoes_the_challenge_when_the_token_matches(client, db):
    r = client.get(URL, {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN,
                         "hub.challenge": "1158201444"})  # fmt: skip
    assert r.status_code == 200
    assert r.content == b"1158201444" and r["Content-Type"].startswith("text/plain")


@pytest.mark.parametrize(
    "params",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1158201444"},
        {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"},
        {"hub.mode": "subscribe", "hub.challenge": "1158201444"},
        {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "<script>"},
    ],
)
def test_the_handshake_refuses_a_wrong_token_or_mode(client, db, params):
    assert client.get(URL, params).status_code == 403


def test_the_handshake_refuses_everything_when_no_token_is_configured(client, db, settings):
    settings.SEJUK_WHATSAPP_VERIFY_TOKEN = ""
    r = client.get(URL, {"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"})
    assert r.status_code == 403


# --- signatures and shapes -----------------------------------------------------------


def test_a_signed_text_message_is_answered_with_the_menu(client, db):
    r = post(client, notification(text("halo")))
    assert r.status_code == 200 and r.json() == {"ok": True}
    (to, greeting), (_, menu) = senders.recorded("whatsapp")
    assert to == WA_ID and greeting.startswith("Halo")
    assert "1. Provokasi/penyebaran hoaks" in menu and "7. Lainnya" in menu


def test_a_missing_signature_is_401_and_nothing_is_handled(client, db):
    r = post(client, notification(text("halo")), signature=None)
    assert r.status_code == 401
    assert not InboundMessage.objects.exists() and not OutboundMessage.objects.exists()


@pytest.mark.parametrize(
    "signature",
    ["sha256=" + "0" * 64, "sha1=abc", "sha256=", "garbage", sign(b"{}", "other-secret")],
)
def test_an_invalid_signature_is_403(client, db, signature):
    r = post(client, notification(text("halo")), signature=signature)
    assert r.status_code == 403
    assert not OutboundMessage.objects.exists()


def test_a_signature_over_another_body_is_403(client, db):
    body = json.dumps(notification(text("halo"))).encode()
    tampered = body.replace(b"halo", b"HALO")
    r = post(client, body=tampered, signature=sign(body))
    assert r.status_code == 403


def test_an_unconfigured_app_secret_refuses_every_post(client, db, settings):
    settings.SEJUK_WHATSAPP_APP_SECRET = ""
    body = json.dumps(notification(text("halo"))).encode()
    assert post(client, body=body, signature=sign(body, "")).status_code == 403


@pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe", b"[1, 2]", b""])
def test_malformed_json_is_a_400_with_a_json_error(client, db, body):
    r = post(client, body=body)
    assert r.status_code == 400 and "detail" in r.json()


def test_a_body_over_one_megabyte_is_refused(client, db):
    body = b'{"object": "whatsapp_business_account", "pad": "' + b"x" * (1024 * 1024) + b'"}'
    assert post(client, body=body).status_code == 413


@pytest.mark.parametrize(
    "msg",
    [
        message("sticker", {"mime_type": "image/webp", "sha256": "aGFzaA==", "id": "1046711243576498",
                            "animated": False}),
        message("reaction", {"message_id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJDQjZCMzlEQUE4OTJBMTE4RTUA",
                             "emoji": "\U0001f44d"}),
        message("audio", {"mime_type": "audio/ogg; codecs=opus", "sha256": "aGFzaA==",
                          "id": "1146214380148390", "voice": True}),
        message("video", {"mime_type": "video/mp4", "sha256": "aGFzaA==", "id": "1266271217950929"}),
        message("contacts", [{"name": {"formatted_name": "Pak RT", "first_name": "Pak"},
                              "phones": [{"phone": "+62 812 0000 0000", "type": "CELL"}]}]),
        {"from": WA_ID, "id": "wamid.UNSUPPORTED1", "timestamp": "1731556800", "type": "unsupported",
         "errors": [{"code": 131051, "title": "Message type unknown", "message": "Message type unknown",
                     "error_data": {"details": "Message type is currently not supported."}}]},
        message("document", {"filename": "laporan.pdf", "mime_type": "application/pdf",
                             "sha256": "aGFzaA==", "id": "1003383421387256"}),
    ],
    ids=["sticker", "reaction", "audio", "video", "contacts", "unsupported", "pdf"],
)  # fmt: skip
def test_unknown_message_types_get_a_polite_reply_and_never_a_500(client, db, msg):
    replies = say(client, msg)
    assert replies[0].startswith("Maaf, jenis pesan ini belum bisa kami proses")
    assert not Report.objects.exists()


def test_status_updates_are_acknowledged_and_ignored(client, db):
    statuses = [{"id": "wamid.OUT1", "status": "delivered", "timestamp": "1731556801",
                 "recipient_id": WA_ID, "conversation": {"id": "CONV", "origin": {"type": "service"}},
                 "pricing": {"billable": True, "pricing_model": "CBP", "category": "service"}}]  # fmt: skip
    r = post(client, notification(statuses=statuses))
    assert r.status_code == 200 and not OutboundMessage.objects.exists()


def test_other_objects_and_odd_shapes_are_acknowledged_without_replies(client, db):
    assert post(client, {"object": "page", "entry": []}).status_code == 200
    assert post(client, {"object": "whatsapp_business_account", "entry": "x"}).status_code == 200
    odd = notification(text("halo"))
    odd["entry"][0]["changes"][0]["value"]["messages"] = [None, {"type": "text"}, 5]
    assert post(client, odd).status_code == 200
    assert not OutboundMessage.objects.exists()


# --- the conversation end to end ------------------------------------------------------


def test_a_full_conversation_files_a_report_routed_to_aiptu_baktiar_emri(client, db):
    assert "1. Provokasi" in say(client, text("halo"))[-1]
    assert "Di mana kejadiannya" in say(client, text("2"))[-1]
    location = {"latitude": -6.1762, "longitude": 106.8554, "name": "Pos RW 02",
                "address": "Jl. Topaz, Galur, Johar Baru, Jakarta Pusat"}  # fmt: skip
    assert "Ceritakan" in say(client, message("location", location))[-1]
    assert "LEWATI" in say(client, text("Ada pembagian amplop berisi uang di pos RW 02."))[-1]
    assert "identitas Anda boleh dicatat" in say(client, text("LEWATI"))[-1]
    replies = say(client, text("Ya"))
    report = Report.objects.get()
    assert report.channel == "whatsapp" and report.category == "money_politics"
    assert report.kelurahan_id == GALUR and report.located_by == "gps"
    assert report.assigned_officer.name == "Baktiar Emri"
    assert report.address_text.startswith("Pos RW 02")
    assert report.ticket in replies[-1] and "Galur" in replies[-1]
    assert actions.reporter_hash("0812-3456-7890") == report.reporter_hash


def test_a_redelivered_message_is_handled_once(client, db):
    say(client, text("halo"))
    say(client, text("5"))
    say(client, text("Jalan Topaz RT 05 Galur"))
    say(client, text("Baliho paslon nomor 2 dirobek orang tak dikenal."))
    say(client, text("lewati"))
    final = text("tidak")
    first = say(client, final)
    again = say(client, final)  # Meta redelivers when our 200 was slow or lost
    assert again == [] and Report.objects.count() == 1
    assert Report.objects.get().ticket in first[-1]
    assert InboundMessage.objects.filter(message_id=final["id"]).count() == 1


def test_two_copies_in_one_notification_are_handled_once(client, db):
    same = text("halo")
    assert len(say(client, same, same)) == 2


def test_the_ticket_code_returns_the_status_and_never_internal_notes(client, db, galur):
    for step in ("halo", "2"):
        say(client, text(step))
    say(client, message("location", {"latitude": -6.1762, "longitude": 106.8554}))
    say(client, text("Ada pembagian sembako dengan stiker paslon di RW 02."))
    say(client, text("lewati"))
    say(client, text("ya"))
    report = Report.objects.get()
    actions.do_verify(galur, report, "verified by phone")
    actions.do_add_note(galur, report, "INTERNAL-SECRET", public=False)
    replies = say(client, text(report.ticket.lower()))
    assert report.ticket in replies[0] and "Sudah diverifikasi petugas" in replies[0]
    assert all("INTERNAL-SECRET" not in t for _to, t in senders.recorded())
    assert all("verified by phone" not in t for _to, t in senders.recorded())


def test_a_photo_is_fetched_and_stored_without_gps(client, db, fetcher):
    for step in ("halo", "6"):
        say(client, text(step))
    say(client, message("location", {"latitude": -6.1762, "longitude": 106.8554}))
    say(client, text("Selebaran berisi hasutan SARA disebar di depan masjid."))
    image = {"id": "1479537139650973", "mime_type": "image/jpeg", "sha256": "aGFzaA==",
             "caption": "selebarannya"}  # fmt: skip
    replies = say(client, message("image", image))
    assert replies[0] == "Foto diterima (1/3)." and "identitas" in replies[1]
    assert fetcher.asked == [("whatsapp", "1479537139650973")]
    say(client, text("ya"))
    photo = Report.objects.get().photos.get()
    with photo.image.open("rb") as f:
        stored = f.read()
    assert has_gps_exif(fetcher.data) and not has_gps_exif(stored)
    assert stored[:2] == b"\xff\xd8"


def test_without_a_media_fetcher_the_photo_is_skipped_with_a_polite_note(client, db):
    for step in ("halo", "1"):
        say(client, text(step))
    say(client, text("Jalan Topaz"))
    say(client, text("Ada hoaks tentang TPS dipindah beredar di grup warga."))
    replies = say(client, message("image", {"id": "123", "mime_type": "image/jpeg", "sha256": "x"}))
    assert "foto belum bisa kami terima" in replies[0] and "identitas" in replies[1]


def test_the_per_phone_limit_answers_with_the_limit_message(client, db, settings):
    settings.SEJUK_PUBLIC_REPORTS_PER_DAY_PHONE = 1
    for step in ("halo", "3", "Jalan Topaz Galur", "Ketua RT diancam karena menolak spanduk.",
                 "lewati", "ya"):  # fmt: skip
        say(client, text(step))
    assert Report.objects.count() == 1
    assert say(client, text("halo")) == [LIMIT_MESSAGE]
    # Another number is not affected.
    assert "1. Provokasi" in say(client, text("halo", wa_id="6289876543210"))[-1]


# --- the live sender -------------------------------------------------------------------


class FakeResponse(io.BytesIO):
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.fixture
def graph(monkeypatch, settings):
    settings.SEJUK_SENDERS = "live"
    settings.SEJUK_WHATSAPP_TOKEN = "EAAG-secret-token"
    settings.SEJUK_WHATSAPP_PHONE_NUMBER_ID = "106540352242922"
    calls = []

    def urlopen(req, timeout):
        calls.append((req, timeout))
        return FakeResponse(
            json.dumps(
                {
                    "messaging_product": "whatsapp",
                    "contacts": [{"input": WA_ID, "wa_id": WA_ID}],
                    "messages": [{"id": "wamid.OUT"}],
                }
            ).encode()  # fmt: skip
        )

    monkeypatch.setattr("urllib.request.urlopen", urlopen)
    return calls


def test_live_replies_are_posted_to_the_cloud_api_after_commit(
    client, db, graph, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, notification(text("halo"))).status_code == 200
    assert len(graph) == 2
    req, timeout = graph[0]
    assert req.full_url == "https://graph.facebook.com/v21.0/106540352242922/messages"
    assert req.get_method() == "POST" and timeout > 0
    assert req.get_header("Authorization") == "Bearer EAAG-secret-token"
    body = json.loads(req.data)
    assert body["messaging_product"] == "whatsapp" and body["to"] == WA_ID
    assert body["type"] == "text" and body["text"]["body"].startswith("Halo")
    assert set(OutboundMessage.objects.values_list("status", flat=True)) == {"sent"}


def test_a_failed_delivery_is_stored_on_the_row_and_the_webhook_still_answers_200(
    client, db, monkeypatch, settings, django_capture_on_commit_callbacks
):
    settings.SEJUK_SENDERS = "live"
    settings.SEJUK_WHATSAPP_TOKEN = "EAAG-secret-token"
    settings.SEJUK_WHATSAPP_PHONE_NUMBER_ID = "106540352242922"

    def urlopen(req, timeout):
        raise OSError("Network is unreachable")

    monkeypatch.setattr("urllib.request.urlopen", urlopen)
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, notification(text("halo"))).status_code == 200
    rows = list(OutboundMessage.objects.all())
    assert rows and all(r.status == "failed" and "unreachable" in r.error for r in rows)
    assert all("EAAG-secret-token" not in r.error for r in rows)


def test_a_failed_message_is_retried_with_backoff_then_given_up(
    client, db, monkeypatch, settings, django_capture_on_commit_callbacks
):
    import datetime as dt

    import time_machine
    from django.utils import timezone

    settings.SEJUK_SENDERS = "live"
    settings.SEJUK_WHATSAPP_TOKEN = "EAAG-secret-token"
    settings.SEJUK_WHATSAPP_PHONE_NUMBER_ID = "106540352242922"
    up = {"ok": False}
    sent = []

    def urlopen(req, timeout):
        if not up["ok"]:
            raise OSError("Network is unreachable")
        sent.append(json.loads(req.data))
        return FakeResponse(b'{"messages": [{"id": "wamid.OUT"}]}')

    monkeypatch.setattr("urllib.request.urlopen", urlopen)
    t0 = timezone.now()
    with time_machine.travel(t0, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            senders.get_sender().send("whatsapp", WA_ID, "Tiket Anda: ACDE-FHJK", dedupe_key="k1")
            senders.get_sender().send("whatsapp", WA_ID, "Pesan kedua", dedupe_key="k2")
        assert set(OutboundMessage.objects.values_list("status", flat=True)) == {"failed"}
        assert senders.retry_due()["sent"] == 0  # not due yet: the first wait is a minute
    with time_machine.travel(t0 + dt.timedelta(minutes=1, seconds=5), tick=False):
        OutboundMessage.objects.filter(dedupe_key="k2").update(attempts=5)  # its last try
        assert senders.retry_due() == {"sent": 0, "failed": 2, "skipped": 0, "stale_sending": 0}
        k1, k2 = (
            OutboundMessage.objects.get(dedupe_key="k1"),
            OutboundMessage.objects.get(dedupe_key="k2"),
        )
        assert k1.attempts == 2 and k1.next_attempt_at == timezone.now() + dt.timedelta(minutes=5)
        assert k2.attempts == 6 and k2.next_attempt_at is None  # given up
    with time_machine.travel(t0 + dt.timedelta(minutes=7), tick=False):
        up["ok"] = True
        assert senders.retry_due()["sent"] == 1
        assert senders.retry_due()["sent"] == 0  # never twice
    assert [m["text"]["body"] for m in sent] == ["Tiket Anda: ACDE-FHJK"]
    assert OutboundMessage.objects.get(dedupe_key="k1").status == "sent"
    assert OutboundMessage.objects.get(dedupe_key="k2").status == "failed"


def test_messages_left_behind_by_a_dead_process_are_sent_and_old_ones_pruned(
    db, monkeypatch, settings
):
    import datetime as dt

    import time_machine
    from django.utils import timezone

    settings.SEJUK_SENDERS = "live"
    settings.SEJUK_WHATSAPP_TOKEN = "EAAG-secret-token"
    settings.SEJUK_WHATSAPP_PHONE_NUMBER_ID = "106540352242922"
    sent = []
    monkeypatch.setattr(
        "urllib.request.urlopen",
        lambda req, timeout: sent.append(req) or FakeResponse(b'{"messages": [{"id": "w"}]}'),
    )
    t0 = timezone.now()
    with time_machine.travel(t0, tick=False):
        # Stored, but the process died before its after-commit delivery ran.
        row = senders.get_sender().send("whatsapp", WA_ID, "halo", dedupe_key="lost")
        assert row.status == "pending" and senders.retry_due()["sent"] == 0
    with time_machine.travel(t0 + dt.timedelta(minutes=3), tick=False):
        assert senders.retry_due()["sent"] == 1 and len(sent) == 1
    with time_machine.travel(t0 + dt.timedelta(days=31), tick=False):
        assert senders.prune_sent(30) == 1
    assert not OutboundMessage.objects.filter(dedupe_key="lost").exists()

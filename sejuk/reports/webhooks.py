"""Webhooks of the chat channels: WhatsApp Business Cloud API and Telegram Bot API.

Thin views: authenticate the provider, parse its payload into
``conversation.Incoming`` messages, hand each to ``conversation.receive``
(which handles it once and sends the replies) and answer 200. A signed,
well-formed payload always gets a 200, whatever it contains, because the
providers redeliver anything else; the work per message is small (one
transaction, no network call except a photo download).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
import re
from collections.abc import Iterator

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from sejuk.reports import conversation
from sejuk.reports.conversation import Incoming
from sejuk.reports.models import Channel

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp")
_CHALLENGE = re.compile(r"[A-Za-z0-9_.\-]{1,256}")


def _error(status: int, detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status)


def _ok() -> JsonResponse:
    return JsonResponse({"ok": True})


def _body(request: HttpRequest) -> bytes | HttpResponse:
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    too_big = _error(413, f"body larger than {MAX_BODY_BYTES} bytes")
    if declared > MAX_BODY_BYTES:
        return too_big
    try:
        body = request.body
    except RequestDataTooBig:
        return too_big
    return too_big if len(body) > MAX_BODY_BYTES else body


def _json(body: bytes) -> dict | HttpResponse:
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return _error(400, "the body is not valid JSON")
    if not isinstance(payload, dict):
        return _error(400, "the body must be a JSON object")
    return payload


def _same(given: str, expected: str) -> bool:
    """Constant-time comparison; an unconfigured secret never matches."""
    if not expected or not given:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def _dict(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list:
    return value if isinstance(value, list) else []


def _coord(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _count(value: object) -> int:
    """A non-negative integer field of a payload (a size, a width); 0 when absent or malformed."""
    if isinstance(value, bool) or not isinstance(value, int):
        return 0
    return max(value, 0)


# --- WhatsApp --------------------------------------------------------------------


@csrf_exempt
@require_http_methods(["GET", "POST"])
def whatsapp(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _whatsapp_verify(request)
    body = _body(request)
    if isinstance(body, HttpResponse):
        return body
    signature = request.headers.get("X-Hub-Signature-256", "").strip()
    if not signature:
        return _error(401, "missing X-Hub-Signature-256")
    secret = settings.SEJUK_WHATSAPP_APP_SECRET
    if not secret:
        log.error("WhatsApp webhook called but SEJUK_WHATSAPP_APP_SECRET is not set")
        return _error(403, "the WhatsApp webhook is not configured")
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if not _same(signature.lower(), expected):
        return _error(403, "invalid X-Hub-Signature-256")
    payload = _json(body)
    if isinstance(payload, HttpResponse):
        return payload
    if payload.get("object") != "whatsapp_business_account":
        return _ok()
    for msg in parse_whatsapp(payload):
        conversation.receive(msg)
    return _ok()


def _whatsapp_verify(request: HttpRequest) -> HttpResponse:
    """Meta's subscription handshake: echo hub.challenge if the token matches."""
    mode = request.GET.get("hub.mode", "")
    token = request.GET.get("hub.verify_token", "")
    challenge = request.GET.get("hub.challenge", "")
    if (
        mode == "subscribe"
        and _same(token, settings.SEJUK_WHATSAPP_VERIFY_TOKEN)
        and _CHALLENGE.fullmatch(challenge)
    ):
        return HttpResponse(challenge, content_type="text/plain")
    return HttpResponse("Forbidden", status=403, content_type="text/plain")


def parse_whatsapp(payload: dict) -> Iterator[Incoming]:
    """Messages of a Cloud API ``whatsapp_business_account`` notification.

    Delivery status updates (``statuses``) and other fields are skipped."""
    for entry in _list(payload.get("entry")):
        for change in _list(_dict(entry).get("changes")):
            change = _dict(change)
            if change.get("field") != "messages":
                continue
            value = _dict(change.get("value"))
            names = {}
            for contact in _list(value.get("contacts")):
                contact = _dict(contact)
                name = _dict(contact.get("profile")).get("name")
                if isinstance(contact.get("wa_id"), str) and isinstance(name, str):
                    names[contact["wa_id"]] = name
            for item in _list(value.get("messages")):
                msg = _whatsapp_message(_dict(item), names)
                if msg is not None:
                    yield msg


def _whatsapp_message(m: dict, names: dict[str, str]) -> Incoming | None:
    mid, sender, kind = m.get("id"), m.get("from"), m.get("type")
    if not (isinstance(mid, str) and mid and isinstance(sender, str) and sender.isdigit()):
        return None
    if kind == "system":  # "the customer changed their number" and the like: not a person
        return None
    base = {
        "channel": Channel.WHATSAPP,
        "sender": sender,
        "message_id": mid[:200],
        "name": names.get(sender, "")[:150],
        "raw_type": str(kind)[:30],
    }
    if kind == "text":
        body = _dict(m.get("text")).get("body")
        if isinstance(body, str):
            return Incoming(kind="text", text=body, **base)
    elif kind in ("button", "interactive"):
        # Quick replies of templates and interactive messages, should we send any.
        part = _dict(m.get(kind))
        reply = _dict(part.get("button_reply") or part.get("list_reply"))
        text = part.get("text") if kind == "button" else reply.get("title")
        if isinstance(text, str):
            return Incoming(kind="text", text=text, **base)
    elif kind == "location":
        loc = _dict(m.get("location"))
        lat, lon = _coord(loc.get("latitude")), _coord(loc.get("longitude"))
        if lat is not None and lon is not None:
            place = ", ".join(
                str(loc[k]) for k in ("name", "address") if isinstance(loc.get(k), str) and loc[k]
            )
            return Incoming(kind="location", lat=lat, lon=lon, place=place, **base)
    elif kind in ("image", "document"):
        media = _dict(m.get(kind))
        media_id = media.get("id")
        mime = str(media.get("mime_type", "image/jpeg")).split(";")[0].strip().lower()
        if isinstance(media_id, str) and media_id and mime in IMAGE_TYPES:
            return Incoming(kind="image", media_id=media_id, **base)
    return Incoming(kind="other", **base)


# --- Telegram --------------------------------------------------------------------

TELEGRAM_OTHER = (
    "sticker", "voice", "audio", "video", "video_note", "animation", "document", "contact",
    "poll", "dice", "game", "story", "invoice",
)  # fmt: skip


@csrf_exempt
@require_POST
def telegram(request: HttpRequest) -> HttpResponse:
    body = _body(request)
    if isinstance(body, HttpResponse):
        return body
    token = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
    if not token:
        return _error(401, "missing X-Telegram-Bot-Api-Secret-Token")
    if not settings.SEJUK_TELEGRAM_SECRET_TOKEN:
        log.error("Telegram webhook called but SEJUK_TELEGRAM_SECRET_TOKEN is not set")
        return _error(403, "the Telegram webhook is not configured")
    if not _same(token, settings.SEJUK_TELEGRAM_SECRET_TOKEN):
        return _error(403, "invalid X-Telegram-Bot-Api-Secret-Token")
    update = _json(body)
    if isinstance(update, HttpResponse):
        return update
    update_id = update.get("update_id")
    if isinstance(update_id, bool) or not isinstance(update_id, int):
        return _error(400, "an Update needs an integer update_id")
    msg = parse_telegram(update)
    if msg is not None:
        conversation.receive(msg)
    return _ok()


def parse_telegram(update: dict) -> Incoming | None:
    """The private message of a Telegram Update, or None (edits, callbacks,
    groups and channels are not part of the reporting conversation)."""
    m = _dict(update.get("message"))
    chat = _dict(m.get("chat"))
    chat_id = chat.get("id")
    sender = _dict(m.get("from"))
    if (
        chat.get("type") != "private"
        or isinstance(chat_id, bool)
        or not isinstance(chat_id, int)
        or sender.get("is_bot") is True
    ):
        return None
    name = " ".join(
        str(sender[k]) for k in ("first_name", "last_name") if isinstance(sender.get(k), str)
    )
    raw_type = next(
        (k for k in ("text", "location", "venue", "photo", *TELEGRAM_OTHER) if k in m), "other"
    )
    base = {
        "channel": Channel.TELEGRAM,
        "sender": str(chat_id),
        "message_id": str(update["update_id"]),
        "name": name[:150],
        "raw_type": raw_type,
    }
    if isinstance(m.get("text"), str):
        return Incoming(kind="text", text=m["text"], **base)
    if "venue" in m or "location" in m:
        venue = _dict(m.get("venue"))
        loc = _dict(venue.get("location") or m.get("location"))
        lat, lon = _coord(loc.get("latitude")), _coord(loc.get("longitude"))
        if lat is not None and lon is not None:
            place = ", ".join(
                str(venue[k]) for k in ("title", "address") if isinstance(venue.get(k), str)
            )
            return Incoming(kind="location", lat=lat, lon=lon, place=place, **base)
    if "photo" in m:
        file_id = _largest_photo(_list(m.get("photo")))
        if file_id:
            return Incoming(kind="image", media_id=file_id, **base)
    document = _dict(m.get("document"))
    if str(document.get("mime_type", "")).lower() in IMAGE_TYPES and isinstance(
        document.get("file_id"), str
    ):
        return Incoming(kind="image", media_id=document["file_id"], **base)
    return Incoming(kind="other", **base)


def _largest_photo(sizes: list) -> str | None:
    """The biggest PhotoSize we are willing to download."""
    from sejuk.reports.senders import MAX_MEDIA_BYTES

    best, best_area = None, -1
    for size in sizes:
        size = _dict(size)
        file_id = size.get("file_id")
        if not isinstance(file_id, str) or not file_id:
            continue
        if _count(size.get("file_size")) > MAX_MEDIA_BYTES:
            continue
        area = _count(size.get("width")) * _count(size.get("height"))
        if area > best_area:
            best, best_area = file_id, area
    return best

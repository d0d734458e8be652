"""Messages to people outside the app (WhatsApp, Telegram, e-mail), and photo
downloads from the chat platforms.

Every outgoing message is stored as an ``OutboundMessage`` first: the
recipient encrypted (``to_enc``) with a keyed hash beside it (``to_hash``), the
text encrypted too (replies carry ticket codes, which are the reporter's
credential). A ``dedupe_key`` makes a retry (a provider redelivering a webhook,
a worker restarted mid-run) return the stored row instead of sending again.

``settings.SEJUK_SENDERS`` picks what happens next:

* ``"record"`` (default, tests, demo): the row is stored with status
  ``recorded`` and nothing leaves the machine;
* ``"live"``: after the surrounding transaction commits, the row is claimed
  (``pending`` -> ``sending``) and delivered through the WhatsApp Cloud API,
  the Telegram Bot API or Django's ``send_mail``; the outcome is stored on the
  row (``sent`` or ``failed`` with the error). Delivery never raises: a
  webhook must answer the provider whatever happens to the reply.

Photos sent to the bot are fetched through a ``MediaFetcher``. In record mode
there is none (the chat says the photo could not be received); tests inject
one with ``set_media_fetcher``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from typing import Protocol

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from sejuk.lib import crypto
from sejuk.reports.models import OutboundMessage

log = logging.getLogger(__name__)

GRAPH_URL = "https://graph.facebook.com/v21.0"
TELEGRAM_URL = "https://api.telegram.org"
TIMEOUT_SECONDS = 10
MAX_TEXT = 4096  # WhatsApp text body and Telegram message limit
MAX_MEDIA_BYTES = 10 * 1024 * 1024  # the same limit as sanitize_image
CHANNELS = ("whatsapp", "telegram", "email")


class Sender(Protocol):
    def send(
        self, channel: str, to: str, text: str, *, dedupe_key: str | None = None
    ) -> OutboundMessage: ...


class DeliveryError(Exception):
    pass


def normalise_recipient(channel: str, to: str) -> str:
    """WhatsApp: E.164 digits; Telegram: the chat id; e-mail: lower case."""
    to = (to or "").strip()
    if channel == "whatsapp":
        return crypto.normalise_phone(to)
    if channel == "email":
        return to.lower()
    return to


def recipient_hash(channel: str, to: str) -> str:
    return crypto.blind_index(f"{channel}:{normalise_recipient(channel, to)}", "outbound")


def _dedupe(key: str | None) -> str | None:
    if not key:
        return None
    if len(key) <= 120:
        return key
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


class StoringSender:
    """Stores every message; delivers it too when ``live``."""

    def __init__(self, live: bool = False):
        self.live = live

    def send(
        self, channel: str, to: str, text: str, *, dedupe_key: str | None = None
    ) -> OutboundMessage:
        if channel not in CHANNELS:
            raise ValueError(f"unknown channel {channel!r}; use one of {', '.join(CHANNELS)}")
        recipient = normalise_recipient(channel, to)
        if not recipient:
            raise ValueError("no recipient")
        key = _dedupe(dedupe_key)
        if key:
            existing = OutboundMessage.objects.filter(dedupe_key=key).first()
            if existing is not None:
                return existing
        row = OutboundMessage(
            channel=channel,
            to_hash=recipient_hash(channel, recipient),
            to_enc=crypto.encrypt(recipient),
            text=crypto.encrypt(text[:MAX_TEXT]),
            dedupe_key=key,
            status="pending" if self.live else "recorded",
        )
        try:
            with transaction.atomic():
                row.save()
        except IntegrityError:
            if key:  # the same message stored concurrently: it is sent once
                return OutboundMessage.objects.get(dedupe_key=key)
            raise
        if self.live:
            # After commit: a rolled-back webhook must not have spoken, and no
            # network call holds the transaction open.
            transaction.on_commit(lambda pk=row.pk: deliver(pk))
        return row


def get_sender() -> Sender:
    return StoringSender(live=settings.SEJUK_SENDERS == "live")


# Minutes to wait before attempt 2, 3, ...; after the last the message is given up.
RETRY_BACKOFF_MINUTES = (1, 5, 15, 60)
# A "pending" row whose after-commit delivery never ran (the process died) and a
# "sending" row whose sender died mid-call are picked up again after these.
STALE_PENDING = dt.timedelta(minutes=2)
STALE_SENDING = dt.timedelta(minutes=10)


def deliver(pk: int) -> str:
    """Send one stored message; returns its final status. Never raises."""
    now = timezone.now()
    claimed = OutboundMessage.objects.filter(pk=pk, status="pending").update(
        status="sending", claimed_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return "skipped"  # another worker has it, or it was already sent
    row = OutboundMessage.objects.get(pk=pk)
    try:
        to, text = crypto.decrypt(row.to_enc), crypto.decrypt(row.text)
        if row.channel == "whatsapp":
            _send_whatsapp(to, text)
        elif row.channel == "telegram":
            _send_telegram(to, text)
        elif row.channel == "email":
            _send_email(to, text)
        else:
            raise DeliveryError(f"unknown channel {row.channel!r}")
    except Exception as exc:  # any failure is stored on the row, never raised
        error = _redact(f"{type(exc).__name__}: {exc}")[:300]
        log.warning("outbound message %s failed (attempt %s): %s", pk, row.attempts, error)
        retry_in = (
            RETRY_BACKOFF_MINUTES[row.attempts - 1]
            if row.attempts <= len(RETRY_BACKOFF_MINUTES)
            else None
        )
        OutboundMessage.objects.filter(pk=pk).update(
            status="failed",
            error=error,
            next_attempt_at=now + dt.timedelta(minutes=retry_in) if retry_in else None,
        )
        return "failed"
    OutboundMessage.objects.filter(pk=pk).update(status="sent", sent_at=timezone.now(), error="")
    return "sent"


def retry_due(limit: int = 200) -> dict[str, int]:
    """Deliver again what failed and is due, and what a dead process left behind.

    Run by the worker every minute (tasks.escalation_tick). Each row is claimed
    with a conditional UPDATE, so two workers never send the same message twice
    at once. A sender that died mid-call may have delivered already: such rows
    are retried after STALE_SENDING, accepting a rare double message over a
    lost one."""
    now = timezone.now()
    stale_sending = OutboundMessage.objects.filter(
        status="sending", claimed_at__lt=now - STALE_SENDING
    ).update(status="pending")
    due = list(
        OutboundMessage.objects.filter(
            Q(status="failed", next_attempt_at__lte=now)
            | Q(status="pending", created_at__lt=now - STALE_PENDING)
        )
        .order_by("created_at")
        .values_list("pk", "status")[:limit]
    )
    counts = {"sent": 0, "failed": 0, "skipped": 0, "stale_sending": stale_sending}
    for pk, status in due:
        if status == "failed":
            flipped = OutboundMessage.objects.filter(
                pk=pk, status="failed", next_attempt_at__lte=now
            ).update(status="pending", next_attempt_at=None)
            if not flipped:
                counts["skipped"] += 1
                continue
        counts[deliver(pk)] += 1
    return counts


def prune_sent(days: int) -> int:
    """Delete delivered and recorded messages older than ``days`` (the reporter's contact
    lives on in the report, encrypted)."""
    cutoff = timezone.now() - dt.timedelta(days=days)
    deleted, _ = OutboundMessage.objects.filter(
        status__in=("sent", "recorded"), created_at__lt=cutoff
    ).delete()
    return deleted


def _redact(text: str) -> str:
    for secret in (settings.SEJUK_WHATSAPP_TOKEN, settings.SEJUK_TELEGRAM_BOT_TOKEN):
        if secret:
            text = text.replace(secret, "***")
    return text


def _request(
    url: str, *, body: dict | None = None, token: str = "", limit: int = 1024 * 1024
) -> bytes:
    if not url.startswith("https://"):
        raise DeliveryError("refusing a non-https URL")
    headers = {"User-Agent": "sejuk"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=data, headers=headers, method="POST" if data else "GET")  # noqa: S310 (https only, checked above)
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT_SECONDS) as resp:  # noqa: S310
            payload = resp.read(limit + 1)
    except urllib.error.HTTPError as exc:
        detail = exc.read(500).decode("utf-8", "replace") if exc.fp else ""
        raise DeliveryError(f"HTTP {exc.code}: {detail}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise DeliveryError(f"network error: {getattr(exc, 'reason', exc)}") from None
    if len(payload) > limit:
        raise DeliveryError(f"response larger than {limit} bytes")
    return payload


def _json(payload: bytes) -> dict:
    try:
        value = json.loads(payload)
    except ValueError:
        raise DeliveryError("the response is not JSON") from None
    if not isinstance(value, dict):
        raise DeliveryError("unexpected response")
    return value


def _send_whatsapp(to: str, text: str) -> None:
    phone_id, token = settings.SEJUK_WHATSAPP_PHONE_NUMBER_ID, settings.SEJUK_WHATSAPP_TOKEN
    if not phone_id or not token:
        raise DeliveryError(
            "SEJUK_WHATSAPP_PHONE_NUMBER_ID and SEJUK_WHATSAPP_TOKEN must be set to send"
        )
    body = {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "text",
        "text": {"preview_url": False, "body": text[:MAX_TEXT]},
    }
    url = f"{GRAPH_URL}/{urllib.parse.quote(phone_id, safe='')}/messages"
    answer = _json(_request(url, body=body, token=token))
    if not answer.get("messages"):
        raise DeliveryError(f"unexpected answer: {json.dumps(answer)[:200]}")


def _telegram_url(method: str) -> str:
    token = settings.SEJUK_TELEGRAM_BOT_TOKEN
    if not token:
        raise DeliveryError("SEJUK_TELEGRAM_BOT_TOKEN must be set to send")
    return f"{TELEGRAM_URL}/bot{token}/{method}"


def _send_telegram(chat_id: str, text: str) -> None:
    target: int | str = int(chat_id) if chat_id.lstrip("-").isdigit() else chat_id
    answer = _json(
        _request(_telegram_url("sendMessage"), body={"chat_id": target, "text": text[:MAX_TEXT]})
    )
    if answer.get("ok") is not True:
        raise DeliveryError(f"Telegram refused: {answer.get('description', '')}"[:200])


def _send_email(to: str, text: str) -> None:
    from django.core.mail import send_mail

    first_line = text.strip().splitlines()[0] if text.strip() else ""
    subject = f"Sejuk: {first_line}"[:120]
    send_mail(subject, text, settings.DEFAULT_FROM_EMAIL, [to], fail_silently=False)


# --- tests and audits ----------------------------------------------------------


def recorded(channel: str | None = None) -> list[tuple[str, str]]:
    """(recipient, text) of every stored message, oldest first, decrypted."""
    qs = OutboundMessage.objects.order_by("id")
    if channel:
        qs = qs.filter(channel=channel)
    return [(crypto.decrypt(m.to_enc), crypto.decrypt(m.text)) for m in qs]


# --- incoming media ------------------------------------------------------------


class MediaFetcher(Protocol):
    def fetch(self, channel: str, media_id: str) -> bytes | None: ...


class NoMediaFetcher:
    """Record mode: nothing is downloaded; the chat says the photo was skipped."""

    def fetch(self, channel: str, media_id: str) -> bytes | None:
        return None


class LiveMediaFetcher:
    """Download a photo sent to the bot: WhatsApp media id or Telegram file id."""

    def fetch(self, channel: str, media_id: str) -> bytes | None:
        if channel == "whatsapp":
            return self._whatsapp(media_id)
        if channel == "telegram":
            return self._telegram(media_id)
        return None

    def _whatsapp(self, media_id: str) -> bytes:
        token = settings.SEJUK_WHATSAPP_TOKEN
        if not token:
            raise DeliveryError("SEJUK_WHATSAPP_TOKEN must be set to download media")
        meta = _json(_request(f"{GRAPH_URL}/{urllib.parse.quote(media_id, safe='')}", token=token))
        url = meta.get("url")
        if not isinstance(url, str):
            raise DeliveryError("the media has no URL")
        if int(meta.get("file_size") or 0) > MAX_MEDIA_BYTES:
            raise DeliveryError("the media is too large")
        return _request(url, token=token, limit=MAX_MEDIA_BYTES)

    def _telegram(self, file_id: str) -> bytes:
        query = urllib.parse.urlencode({"file_id": file_id})
        meta = _json(_request(f"{_telegram_url('getFile')}?{query}"))
        result = meta.get("result") if meta.get("ok") is True else None
        path = result.get("file_path") if isinstance(result, dict) else None
        if not isinstance(path, str) or ".." in path:
            raise DeliveryError("Telegram gave no file path")
        if int(result.get("file_size") or 0) > MAX_MEDIA_BYTES:
            raise DeliveryError("the file is too large")
        token = settings.SEJUK_TELEGRAM_BOT_TOKEN
        return _request(f"{TELEGRAM_URL}/file/bot{token}/{path}", limit=MAX_MEDIA_BYTES)


_media_fetcher: MediaFetcher | None = None


def set_media_fetcher(fetcher: MediaFetcher | None) -> MediaFetcher | None:
    """Replace the media fetcher (tests); ``None`` restores the default. Returns the previous one."""
    global _media_fetcher
    previous, _media_fetcher = _media_fetcher, fetcher
    return previous


def get_media_fetcher() -> MediaFetcher:
    if _media_fetcher is not None:
        return _media_fetcher
    return LiveMediaFetcher() if settings.SEJUK_SENDERS == "live" else NoMediaFetcher()


def fetch_media(channel: str, media_id: str) -> bytes | None:
    """The photo's bytes, or None when it cannot be had (logged, never raised)."""
    try:
        return get_media_fetcher().fetch(channel, media_id)
    except Exception as exc:
        log.warning("%s media download failed: %s", channel, _redact(str(exc))[:300])
        return None

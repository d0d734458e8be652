"""The authenticated webhook for posts: ``POST /webhooks/monitoring``.

A collector (a social-listening tool, a script) posts JSON signed with the
shared secret ``SEJUK_MONITORING_WEBHOOK_SECRET``::

    X-Sejuk-Signature: sha256=<hex HMAC-SHA256 of the raw body>

The body is one post object, a list of them, or ``{"posts": [...]}``, with
the fields of the file formats. Answers: 200 with the ingest report (items
that failed are listed by their 1-based position), 401 without a signature,
403 with a wrong one or when no secret is configured, 400 when the body is
not JSON, 413 when too large, 422 when no item is a valid post.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from sejuk.accounts import audit
from sejuk.monitoring import actions
from sejuk.monitoring.ingest import LineError, Parsed, PostError, parse_post

log = logging.getLogger(__name__)

# Below Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB), which would answer 400 first.
MAX_BODY_BYTES = 2 * 1024 * 1024
MAX_POSTS = 1000
SIGNATURE_HEADER = "X-Sejuk-Signature"


def webhook_secret() -> str:
    return settings.SEJUK_MONITORING_WEBHOOK_SECRET


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def _error(status: int, detail: str, **extra) -> JsonResponse:
    return JsonResponse({"detail": detail, **extra}, status=status)


@csrf_exempt
@require_POST
def posts(request: HttpRequest) -> HttpResponse:
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY_BYTES:
        return _error(413, f"body larger than {MAX_BODY_BYTES} bytes")
    signature = request.headers.get(SIGNATURE_HEADER, "").strip()
    if not signature:
        return _error(401, f"missing {SIGNATURE_HEADER}")
    secret = webhook_secret()
    if not secret:
        log.error("monitoring webhook called but SEJUK_MONITORING_WEBHOOK_SECRET is not set")
        return _error(403, "the monitoring webhook is not configured")
    try:
        body = request.body
    except RequestDataTooBig:
        return _error(413, f"body larger than {MAX_BODY_BYTES} bytes")
    if len(body) > MAX_BODY_BYTES:
        return _error(413, f"body larger than {MAX_BODY_BYTES} bytes")
    if not hmac.compare_digest(signature.lower().encode(), sign(body, secret).encode()):
        return _error(403, f"invalid {SIGNATURE_HEADER}")
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        return _error(400, "the body is not valid JSON (UTF-8)")
    if isinstance(payload, dict) and "posts" in payload:
        items = payload["posts"]
        if not isinstance(items, list):
            return _error(422, "posts must be a list")
    elif isinstance(payload, list):
        items = payload
    else:
        items = [payload]
    if not items:
        return _error(422, "no posts in the body")
    if len(items) > MAX_POSTS:
        return _error(422, f"{len(items)} posts; at most {MAX_POSTS} per request")
    parsed = Parsed(lines=len(items))
    for number, obj in enumerate(items, start=1):
        try:
            parsed.posts.append((number, parse_post(obj)))
        except PostError as exc:
            parsed.errors.append(LineError(number, str(exc)))
    if not parsed.posts:
        return _error(
            422, "no valid post in the body", errors=[e.as_dict() for e in parsed.errors[:100]]
        )
    with audit.acting_as(audit.Actor(source="webhook:monitoring")):
        result = actions.ingest(parsed, source="webhook")
    return JsonResponse(result.as_dict(), status=200)

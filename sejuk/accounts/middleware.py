"""Middleware that tells the audit log who is acting on each request."""

from __future__ import annotations

from sejuk.accounts import audit


def client_ip(request) -> str | None:
    # Behind a trusted proxy, set SEJUK_TRUST_X_FORWARDED_FOR; otherwise the
    # header is attacker-controlled and must be ignored.
    from django.conf import settings

    if getattr(settings, "SEJUK_TRUST_X_FORWARDED_FOR", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip() or None
    return request.META.get("REMOTE_ADDR") or None


class AuditContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        source = "api" if request.path.startswith("/api/") else "web"
        token = audit.set_actor(
            audit.actor_for_user(
                getattr(request, "user", None), ip=client_ip(request), source=source
            )
        )
        try:
            return self.get_response(request)
        finally:
            audit.reset_actor(token)

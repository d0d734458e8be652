from __future__ import annotations

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from sejuk.accounts import audit, ratelimit
from sejuk.accounts.middleware import client_ip
from sejuk.accounts.models import AuditAction


def _limit() -> ratelimit.Limit:
    return ratelimit.Limit(settings.LOGIN_MAX_ATTEMPTS, settings.LOGIN_WINDOW_SECONDS)


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    if request.user.is_authenticated and request.method == "GET":
        return redirect(next_url or settings.LOGIN_REDIRECT_URL)

    status = 200
    throttled = ""
    form = AuthenticationForm(request, data=request.POST or None)
    if request.method == "POST":
        username = (request.POST.get("username") or "").strip().lower()[:150]
        ip = client_ip(request) or "unknown"
        keys = [f"login:user:{username}", f"login:ip:{ip}"]
        limit = _limit()
        if any(ratelimit.is_limited(k, limit) for k in keys):
            form = AuthenticationForm(request, initial={"username": username})
            throttled = _("Too many failed attempts. Wait %(minutes)d minutes and try again.") % {
                "minutes": max(1, limit.window_seconds // 60)
            }
            status = 429
        elif form.is_valid():
            user = form.get_user()
            auth.login(request, user)
            for k in keys[:1]:
                ratelimit.reset(k)
            return redirect(next_url or settings.LOGIN_REDIRECT_URL)
        else:
            for k in keys:
                ratelimit.hit(k, limit.window_seconds)
            audit.log(
                AuditAction.LOGIN_FAILED,
                object_type="accounts.user",
                object_repr=username,
                actor=audit.Actor(ip=client_ip(request), source="web"),
            )
            status = 401
    return render(
        request,
        "accounts/login.html",
        {"form": form, "next": next_url, "throttled": throttled},
        status=status,
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    auth.logout(request)
    return redirect(settings.LOGOUT_REDIRECT_URL)

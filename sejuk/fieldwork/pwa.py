"""The officer's offline PWA at /field/: the app shell, its manifest and its service worker.

The service worker must be served from under /field/ (not /static/) so that its scope
covers the app; its body comes from ``static/field/sw.js`` with the list of files to
precache and a version stamp filled in here, so that the cache name changes whenever
one of those files changes and no one has to bump a number by hand.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import get_template
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET

from sejuk.accounts.access import has_role, visible_wilayah
from sejuk.accounts.models import Role
from sejuk.fieldwork.models import TOPICS, ActivityKind, TitikCategory
from sejuk.territory.models import Level

# Who logs field work from a phone (admin always passes has_role).
FIELD_ROLES = (Role.BHABINKAMTIBMAS, Role.KAPOLSEK, Role.POLSEK_STAFF)

THEME_COLOR = "#0b6e4f"
BACKGROUND_COLOR = "#f6f8f7"
SHELL_TEMPLATE = "fieldwork/pwa.html"
SW_STATIC = "field/sw.js"
# Static files the app needs offline, precached by the service worker.
SHELL_STATIC = (
    "field/app.js",
    "field/field.css",
    "field/icons/icon-192.png",
    "field/icons/icon-512.png",
)
# A Polsek covers a handful of kelurahan; this only guards against an admin's whole country.
SHELL_KELURAHAN_LIMIT = 200
# The block in sw.js between these markers is replaced by the real configuration.
_CONFIG_RE = re.compile(r"/\*SEJUK_CONFIG\*/.*?/\*END_SEJUK_CONFIG\*/", re.DOTALL)


@login_required
@ensure_csrf_cookie
@cache_control(private=True, no_cache=True)
@require_GET
def app_shell(request: HttpRequest) -> HttpResponse:
    """The single page of the PWA. Everything else comes from the API and IndexedDB."""
    if not has_role(request.user, *FIELD_ROLES):
        raise Http404("The field app is for officers and their Polsek")
    user = request.user
    # The kelurahan are also in the shell (which the service worker caches) so the
    # form works even if the day's data never reached the phone.
    kelurahan = (
        visible_wilayah(user)
        .filter(level=Level.KELURAHAN)
        .light()
        .order_by("kode")[:SHELL_KELURAHAN_LIMIT]
    )
    config = {
        "user": {"id": user.pk, "username": user.get_username(), "name": user.display_name()},
        "csrfCookie": settings.CSRF_COOKIE_NAME,
        "urls": {
            "scope": reverse("field:app"),
            "sw": reverse("field:sw"),
            "bootstrap": "/api/v1/field/bootstrap",
            "sync": "/api/v1/field/activities/sync",
            # {uuid} is replaced by the activity's client_uuid.
            "photos": "/api/v1/field/activities/{uuid}/photos",
            # {id} is replaced by the conflict's id.
            "ackConflict": "/api/v1/field/conflicts/{id}/ack",
            "login": f"{reverse('login')}?next={reverse('field:app')}",
        },
        "kinds": [{"value": k, "label": str(label)} for k, label in ActivityKind.choices],
        "topics": [{"key": k, "label": str(label)} for k, label in TOPICS],
        "categories": {k: str(label) for k, label in TitikCategory.choices},
        "kelurahan": [{"kode": w.kode, "nama": w.display} for w in kelurahan],
        "version": shell_version(),
    }
    ctx = {
        "config": config,
        "kinds": ActivityKind.choices,
        "theme_color": THEME_COLOR,
    }
    return render(request, SHELL_TEMPLATE, ctx)


@cache_control(no_cache=True)
@require_GET
def manifest(request: HttpRequest) -> JsonResponse:
    """The web app manifest. Public: it names the app and its icons, nothing else."""
    scope = reverse("field:app")
    icons = []
    for size in (192, 512):
        icons.append(
            {
                "src": static(f"field/icons/icon-{size}.png"),
                "sizes": f"{size}x{size}",
                "type": "image/png",
                # The artwork keeps to the central safe zone, so it works masked too.
                "purpose": "any maskable",
            }
        )
    data = {
        "id": scope,
        "name": "Sejuk Lapangan",
        "short_name": "Sejuk",
        "description": "Catatan patroli dan sambang Bhabinkamtibmas, juga saat offline.",
        "lang": "id",
        "start_url": scope,
        "scope": scope,
        "display": "standalone",
        "orientation": "portrait",
        "theme_color": THEME_COLOR,
        "background_color": BACKGROUND_COLOR,
        "icons": icons,
    }
    return JsonResponse(
        data,
        content_type="application/manifest+json",
        json_dumps_params={"ensure_ascii": False, "indent": 1},
    )


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """``static/field/sw.js`` under /field/ so that its scope covers the app."""
    response = HttpResponse(_service_worker_body(), content_type="application/javascript")
    response["Service-Worker-Allowed"] = reverse("field:app")
    # The browser checks for a new worker on navigation; never let an HTTP cache hide one.
    response["Cache-Control"] = "no-cache"
    return response


def _read_static(path: str) -> bytes:
    found = finders.find(path)
    if found:
        return Path(found).read_bytes()
    with staticfiles_storage.open(path) as fh:
        return fh.read()


def _precache_urls() -> list[str]:
    return [reverse("field:app"), reverse("field:manifest"), *(static(p) for p in SHELL_STATIC)]


def _compute_version() -> str:
    digest = hashlib.sha256()
    digest.update(_read_static(SW_STATIC))
    for path in SHELL_STATIC:
        digest.update(path.encode())
        digest.update(_read_static(path))
    template_path = getattr(get_template(SHELL_TEMPLATE).origin, "name", "")
    if template_path and Path(template_path).is_file():
        digest.update(Path(template_path).read_bytes())
    return digest.hexdigest()[:12]


def _compute_sw_body() -> str:
    source = _read_static(SW_STATIC).decode("utf-8")
    config = {
        "version": _compute_version(),
        "scope": reverse("field:app"),
        "precache": _precache_urls(),
        "bootstrap": "/api/v1/field/bootstrap",
        "staticPrefix": static(""),
    }
    block = json.dumps(config, indent=2)
    body, count = _CONFIG_RE.subn(lambda _m: block, source, count=1)
    if count != 1:
        raise RuntimeError(f"{SW_STATIC} lost its /*SEJUK_CONFIG*/ block")
    return body


# Static files do not change while a production process runs; in DEBUG they do.
_cached_version = functools.cache(_compute_version)
_cached_sw_body = functools.cache(_compute_sw_body)


def shell_version() -> str:
    """A short hash of everything the service worker precaches."""
    return _compute_version() if settings.DEBUG else _cached_version()


def _service_worker_body() -> str:
    return _compute_sw_body() if settings.DEBUG else _cached_sw_body()

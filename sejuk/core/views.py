from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone

from sejuk.accounts.access import scope_for, visible_officers, visible_units, visible_wilayah
from sejuk.accounts.models import Role
from sejuk.core.models import WorkerHeartbeat
from sejuk.elections.models import Election
from sejuk.territory.models import Level, Officer, UnitKind


def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness for load balancers and the demo: database reachable, worker last seen."""
    with connection.cursor() as cur:
        cur.execute("SELECT 1")
    beat = WorkerHeartbeat.objects.filter(name="worker").first()
    return JsonResponse({"ok": True, "worker_seen_at": beat.seen_at.isoformat() if beat else None})


def _election_banner(scope) -> dict | None:
    today = timezone.localdate()
    elections = Election.objects.order_by("-voting_day").prefetch_related("wilayah")
    for e in elections:
        codes = [w.kode for w in e.wilayah.all()]
        if scope.everything or any(
            scope.covers(c) or any(p.startswith(c + ".") for p in scope.prefixes) for c in codes
        ):
            return {"election": e, "phase": e.get_phase(today), "days": e.days_to_vote(today)}
    return None


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    scope = scope_for(user)
    ctx: dict = {"scope": scope, "banner": _election_banner(scope)}
    officers = visible_officers(user).select_related("unit").prefetch_related("kelurahan")
    if user.role == Role.BHABINKAMTIBMAS:
        ctx["template_role"] = "bhabinkamtibmas"
        ctx["my_kelurahan"] = visible_wilayah(user).filter(level=Level.KELURAHAN).light()
        ctx["officer"] = user.officer
    elif user.role in (Role.KAPOLSEK, Role.POLSEK_STAFF):
        ctx["template_role"] = "polsek"
        ctx["unit"] = user.unit
        ctx["kelurahan"] = (
            visible_wilayah(user)
            .filter(level=Level.KELURAHAN)
            .light()
            .prefetch_related(Prefetch("officers", queryset=Officer.objects.filter(active=True)))
        )
        ctx["officers"] = officers
    elif user.is_admin_role:
        ctx["template_role"] = "admin"
        ctx["counts"] = {
            "wilayah": visible_wilayah(user).count(),
            "kelurahan": visible_wilayah(user).filter(level=Level.KELURAHAN).count(),
            "with_boundary": visible_wilayah(user).filter(geometry__isnull=False).count(),
            "units": visible_units(user).count(),
            "officers": officers.count(),
        }
        ctx["units"] = visible_units(user).filter(kind__in=[UnitKind.POLDA, UnitKind.POLRES])
        ctx["heartbeat"] = WorkerHeartbeat.objects.filter(name="worker").first()
    else:
        ctx["template_role"] = "command"
        ctx["unit"] = user.unit
        ctx["polsek"] = (
            visible_units(user)
            .filter(kind=UnitKind.POLSEK)
            .annotate(n_officers=Count("officers"))
            .prefetch_related("wilayah")
        )
    return render(request, "core/home.html", ctx)

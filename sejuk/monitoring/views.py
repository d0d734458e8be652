"""Monitoring pages (docs/monitoring.md): narratives, the map, post search,
alerts with their briefs, the fact-check archive and the settings.

Thin function views: every query goes through sejuk.monitoring.access
(out of scope is 404), every write through actions or an audited model save.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Max, Q
from django.db.models.functions import TruncDate
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from sejuk.accounts.access import role_required, visible_wilayah
from sejuk.analytics.claims import ClaimFileError, read_claims_csv
from sejuk.monitoring import actions, archive, classifier
from sejuk.monitoring.access import (
    MANAGERS,
    READERS,
    can_handle_alerts,
    can_manage,
    visible_alerts,
    visible_narratives,
    visible_posts,
)
from sejuk.monitoring.forms import (
    AlertHandleForm,
    CheckTextForm,
    ClaimImportForm,
    FactCheckForm,
    MapFilterForm,
    NarrativeFilterForm,
    PostFilterForm,
    SettingsForm,
)
from sejuk.monitoring.models import AlertStatus, FactCheck, MonitoringSettings, Post
from sejuk.territory.models import Level, Wilayah

PAGE_SIZE = 30
MAP_LIMIT = 400
SPARK_DAYS = 7


def _render(request: HttpRequest, template: str, ctx: dict, *, section: str, status: int = 200):
    ctx["mon"] = {
        "section": section,
        "can_manage": can_manage(request.user),
        "open_alerts": visible_alerts(request.user).filter(status=AlertStatus.OPEN).count(),
        "model_missing": classifier.get_classifier() is None,
    }
    return render(request, template, ctx, status=status)


def _since(days: str | None) -> dt.datetime:
    try:
        n = int(days or 7)
    except ValueError:
        n = 7
    return timezone.now() - dt.timedelta(days=max(1, min(n, 90)))


def _spark(counts: list[int]) -> list[dict]:
    top = max(counts) if counts and max(counts) else 1
    return [{"n": c, "h": round(24 * c / top, 1)} for c in counts]


def _daily(qs, ids: list[int], days: int, end: dt.datetime) -> dict[int, list[int]]:
    tz = timezone.get_current_timezone()
    start_day = timezone.localdate(end) - dt.timedelta(days=days - 1)
    start = dt.datetime.combine(start_day, dt.time(), tzinfo=tz)
    grid = {i: [0] * days for i in ids}
    rows = (
        qs.filter(narrative_id__in=ids, posted_at__gte=start, counted=True)
        .annotate(day=TruncDate("posted_at", tzinfo=tz))
        .values("narrative_id", "day")
        .annotate(n=Count("pk"))
    )
    for r in rows:
        k = (r["day"] - start_day).days
        if 0 <= k < days:
            grid[r["narrative_id"]][k] = r["n"]
    return grid


# --- narratives ---------------------------------------------------------------


@role_required(*READERS)
def narratives(request: HttpRequest) -> HttpResponse:
    form = NarrativeFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    posts = visible_posts(request.user)
    scoped = posts.filter(
        posted_at__gte=_since(data.get("days")), narrative__isnull=False, counted=True
    )
    scoped = scoped.filter(Post.flag_q(data.get("kind")))
    if data.get("q"):
        scoped = scoped.filter(narrative__title__icontains=data["q"])
    rows = (
        scoped.values("narrative_id", "narrative__title", "narrative__first_seen")
        .annotate(n=Count("pk"), prov=Count("pk", filter=Q(provocative=True)),
                  sara=Count("pk", filter=Q(sara=True)), last=Max("posted_at"),
                  areas=Count("area_kode", distinct=True))
        .order_by("-n", "-last")
    )  # fmt: skip
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    ids = [r["narrative_id"] for r in page]
    daily = _daily(posts, ids, SPARK_DAYS, timezone.now())
    for r in page:
        counts = daily.get(r["narrative_id"], [])
        r["spark"] = _spark(counts)
        r["trend"] = actions.volume_trend(counts)["direction"] if counts else "stable"
    return _render(
        request, "monitoring/narratives.html", {"form": form, "page": page}, section="narratives"
    )


@role_required(*READERS)
def narrative_detail(request: HttpRequest, pk: int) -> HttpResponse:
    narrative = get_object_or_404(visible_narratives(request.user), pk=pk)
    posts = visible_posts(request.user).filter(narrative=narrative)
    totals = posts.filter(counted=True).aggregate(
        n=Count("pk"), prov=Count("pk", filter=Q(provocative=True)), sara=Count("pk", filter=Q(sara=True)),
        first=Max("posted_at"),
    )  # fmt: skip
    days = 14
    counts = _daily(posts, [narrative.pk], days, timezone.now())[narrative.pk]
    start_day = timezone.localdate() - dt.timedelta(days=days - 1)
    chart = [
        {"day": start_day + dt.timedelta(days=i), **bar} for i, bar in enumerate(_spark(counts))
    ]
    areas = list(
        posts.exclude(area_kode="").values("area_kode").annotate(n=Count("pk")).order_by("-n")[:20]
    )
    names = dict(
        Wilayah.objects.filter(kode__in=[a["area_kode"] for a in areas]).values_list("kode", "nama")
    )
    for a in areas:
        a["nama"] = names.get(a["area_kode"], a["area_kode"])
    page = Paginator(
        posts.filter(duplicate_of__isnull=True)
        .select_related("kelurahan")
        .defer("kelurahan__geometry"),
        PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    sample = [p.text for p in posts.filter(duplicate_of__isnull=True).order_by("-posted_at")[:5]]
    s = MonitoringSettings.current()
    best: dict[int, dict] = {}
    for row in archive.match_texts(sample, k=2, min_score=s.claim_min_score):
        for m in row:
            if m.id not in best or best[m.id]["score"] < m.score:
                best[m.id] = m.as_dict()
    ctx = {
        "narrative": narrative,
        "totals": totals,
        "chart": chart,
        "trend": actions.volume_trend(counts),
        "areas": areas,
        "page": page,
        "fact_checks": sorted(best.values(), key=lambda m: -m["score"])[:5],
    }
    return _render(request, "monitoring/narrative_detail.html", ctx, section="narratives")


# --- map ------------------------------------------------------------------------


@role_required(*READERS)
def volume_map(request: HttpRequest) -> HttpResponse:
    form = MapFilterForm(request.GET or None, initial={"kind": "flagged"})
    data = form.cleaned_data if form.is_valid() else {}
    # Provocative or SARA posts unless the user asked for another selection.
    kind = data.get("kind", "") if "kind" in request.GET else "flagged"
    since = _since(data.get("days"))
    counts = dict(
        visible_posts(request.user)
        .filter(Post.flag_q(kind), posted_at__gte=since, counted=True, kelurahan__isnull=False)
        .values("kelurahan_id")
        .annotate(n=Count("pk"))
        .values_list("kelurahan_id", "n")
    )
    rows = list(
        visible_wilayah(request.user)
        .filter(level=Level.KELURAHAN, geometry__isnull=False)
        .order_by("kode")
        .values_list("kode", "nama", "geometry")[: MAP_LIMIT + 1]
    )
    truncated = len(rows) > MAP_LIMIT
    features = [
        {"type": "Feature", "geometry": geom,
         "properties": {"kode": kode, "nama": nama, "n": counts.get(kode, 0)}}
        for kode, nama, geom in rows[:MAP_LIMIT]
    ]  # fmt: skip
    table = sorted(
        ({"kode": f["properties"]["kode"], "nama": f["properties"]["nama"], "n": f["properties"]["n"]}
         for f in features if f["properties"]["n"]),
        key=lambda r: (-r["n"], r["kode"]),
    )  # fmt: skip
    ctx = {
        "form": form,
        "geojson": {"type": "FeatureCollection", "features": features},
        "table": table[:50],
        "truncated": truncated,
        "map_limit": MAP_LIMIT,
        "max_count": max(counts.values(), default=0),
    }
    return _render(request, "monitoring/map.html", ctx, section="map")


# --- posts ------------------------------------------------------------------------


def _area_choices(user) -> list[tuple[str, str]]:
    return list(
        visible_wilayah(user)
        .filter(level=Level.KELURAHAN)
        .order_by("nama")
        .values_list("kode", "nama")[:500]
    )


@role_required(*READERS)
def post_search(request: HttpRequest) -> HttpResponse:
    form = PostFilterForm(request.GET or None, areas=_area_choices(request.user))
    qs = visible_posts(request.user).select_related("narrative").defer("narrative__centroid")
    if form.is_valid():
        d = form.cleaned_data
        if d.get("q"):
            qs = qs.filter(text__icontains=d["q"])
        qs = qs.filter(Post.flag_q(d.get("kind")))
        if d.get("platform"):
            qs = qs.filter(platform=d["platform"].strip().lower())
        if d.get("author"):
            who = d["author"].strip()
            qs = qs.filter(Q(author__iexact=who) | Q(author__iexact=who.lstrip("@")))
        if d.get("area"):
            qs = qs.filter(area_kode=d["area"])
        if d.get("narrative"):
            qs = qs.filter(narrative_id=d["narrative"])
        tz = timezone.get_current_timezone()
        if d.get("since"):
            qs = qs.filter(posted_at__gte=dt.datetime.combine(d["since"], dt.time(), tzinfo=tz))
        if d.get("until"):
            end = dt.datetime.combine(d["until"] + dt.timedelta(days=1), dt.time(), tzinfo=tz)
            qs = qs.filter(posted_at__lt=end)
        if not d.get("copies"):
            qs = qs.filter(duplicate_of__isnull=True)
    else:
        qs = qs.filter(duplicate_of__isnull=True)
    qs = qs.annotate(n_copies=Count("copies")).order_by("-posted_at", "-pk")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    names = dict(
        Wilayah.objects.filter(kode__in={p.area_kode for p in page if p.area_kode}).values_list(
            "kode", "nama"
        )
    )
    for p in page:
        p.area_nama = names.get(p.area_kode, "")
    return _render(request, "monitoring/posts.html", {"form": form, "page": page}, section="posts")


@role_required(*READERS)
def post_detail(request: HttpRequest, pk: int) -> HttpResponse:
    post = get_object_or_404(
        visible_posts(request.user).select_related("narrative", "duplicate_of"), pk=pk
    )
    s = MonitoringSettings.current()
    matches = archive.match_texts([post.text], k=5, min_score=s.claim_min_score)[0]
    copies = visible_posts(request.user).filter(duplicate_of=post).order_by("posted_at")[:50]
    area = Wilayah.objects.light().filter(kode=post.area_kode).first() if post.area_kode else None
    scores = sorted((post.scores or {}).items(), key=lambda kv: -kv[1])
    ctx = {"post": post, "matches": matches, "copies": copies, "area": area, "scores": scores}
    return _render(request, "monitoring/post_detail.html", ctx, section="posts")


# --- alerts -----------------------------------------------------------------------


@role_required(*READERS)
def alerts(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "open")
    qs = visible_alerts(request.user)
    if status in AlertStatus.values:
        qs = qs.filter(status=status)
    page = Paginator(qs.order_by("-first_detected_at", "-pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    names = dict(
        Wilayah.objects.filter(kode__in={a.area_kode for a in page}).values_list("kode", "nama")
    )
    for a in page:
        a.area_nama = names.get(a.area_kode, a.area_kode)
    ctx = {"page": page, "status": status, "statuses": AlertStatus.choices}
    return _render(request, "monitoring/alerts.html", ctx, section="alerts")


@role_required(*READERS)
@require_http_methods(["GET", "POST"])
def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    alert = get_object_or_404(visible_alerts(request.user), pk=pk)
    form = AlertHandleForm(request.POST or None, initial={"status": alert.status})
    status = 200
    if request.method == "POST":
        if not can_handle_alerts(request.user):
            raise Http404
        if form.is_valid():
            try:
                actions.do_handle_alert(
                    request.user, alert, form.cleaned_data["status"], form.cleaned_data["note"]
                )
            except actions.MonitoringError as exc:
                for k, v in exc.errors.items():
                    form.add_error(k if k in form.fields else None, v)
            else:
                messages.success(request, _("Alert updated."))
                return redirect("monitoring:alert", alert.pk)
        status = 422
    area = Wilayah.objects.light().filter(kode=alert.area_kode).first()
    ctx = {"alert": alert, "brief": alert.brief or {}, "form": form, "area": area,
           "can_handle": can_handle_alerts(request.user)}  # fmt: skip
    return _render(request, "monitoring/alert_detail.html", ctx, section="alerts", status=status)


# --- fact-check archive --------------------------------------------------------------


@role_required(*READERS)
def claims(request: HttpRequest) -> HttpResponse:
    check = CheckTextForm(request.GET if "text" in request.GET else None)
    matches = None
    if check.is_bound and check.is_valid():
        matches = archive.match_texts([check.cleaned_data["text"]], k=10)[0]
        if check.cleaned_data.get("verdict"):
            matches = [m for m in matches if m.verdict == check.cleaned_data["verdict"]]
    q = request.GET.get("q", "").strip()[:100]
    qs = (
        FactCheck.objects.all()
        if can_manage(request.user)
        else FactCheck.objects.filter(active=True)
    )
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(text__icontains=q))
    verdict = request.GET.get("verdict_filter", "")
    if verdict:
        qs = qs.filter(verdict=verdict)
    page = Paginator(qs.defer("text").order_by("-checked_on", "-pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    ctx = {"check": check, "matches": matches, "page": page, "q": q, "verdict": verdict,
           "import_form": ClaimImportForm()}  # fmt: skip
    return _render(request, "monitoring/claims.html", ctx, section="claims")


@role_required(*MANAGERS)
@require_http_methods(["GET", "POST"])
def claim_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    claim = (
        get_object_or_404(FactCheck, pk=pk) if pk else FactCheck(source="", created_by=request.user)
    )
    form = FactCheckForm(request.POST or None, instance=claim)
    if request.method == "POST":
        if request.POST.get("delete") == "1" and claim.pk:
            claim.delete()
            archive.reset_cache()
            messages.success(request, _("Claim deleted."))
            return redirect("monitoring:claims")
        if form.is_valid():
            form.save()
            archive.reset_cache()
            messages.success(request, _("Claim saved."))
            return redirect("monitoring:claims")
    status = 422 if request.method == "POST" else 200
    return _render(
        request,
        "monitoring/claim_form.html",
        {"form": form, "claim": claim},
        section="claims",
        status=status,
    )


@role_required(*MANAGERS)
@require_POST
def claim_import(request: HttpRequest) -> HttpResponse:
    form = ClaimImportForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a CSV file."))
        return redirect("monitoring:claims")
    upload = form.cleaned_data["file"]
    if upload.size > 20 * 1024 * 1024:
        messages.error(request, _("The file is larger than 20 MB."))
        return redirect("monitoring:claims")
    try:
        read = read_claims_csv(upload.read(), default_source=form.cleaned_data.get("source") or "")
    except ClaimFileError as exc:
        messages.error(request, str(exc))
        return redirect("monitoring:claims")
    result = archive.import_claims(read.claims, user=request.user, label=f"upload:{upload.name}")
    messages.success(
        request,
        _("%(created)d claims added, %(updated)d updated, %(unchanged)d unchanged.")
        % result.as_dict(),
    )
    for e in read.errors[:20]:
        messages.error(request, str(e))
    return redirect("monitoring:claims")


# --- settings ---------------------------------------------------------------------


@role_required(*MANAGERS)
@require_http_methods(["GET", "POST"])
def settings_view(request: HttpRequest) -> HttpResponse:
    instance = MonitoringSettings.current()
    form = SettingsForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Settings saved."))
        return redirect("monitoring:settings")
    ctx = {"form": form, "defaults": actions.default_talking_points()}
    status = 422 if request.method == "POST" else 200
    return _render(request, "monitoring/settings.html", ctx, section="settings", status=status)

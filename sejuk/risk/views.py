"""Risk pages under /risk/: the map, a kelurahan's explanation and trend, the
assessment form with its history, alerts and incidents (docs/risk.md).

Thin function views: reads go through ``sejuk.risk.access`` (a kelurahan
outside the user's territory answers 404), writes through
``sejuk.risk.actions``; a ``RiskError`` becomes form errors (422),
``NotAllowed`` a 403.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Max
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from sejuk.accounts.access import has_role, role_required, scope_for, visible_wilayah
from sejuk.core.forms import start_of_day
from sejuk.elections.models import Election
from sejuk.risk import access, actions, forms
from sejuk.risk.explain import explain, level_label, phase_label, top_reasons
from sejuk.risk.indicators import component_labels, current_spec, label, spec_for_version
from sejuk.risk.models import AlertStatus, ForecastHotspot, RollupKind
from sejuk.risk.signals import prefix_q
from sejuk.territory.models import KODE_RE, Level, Wilayah

# Kelurahan drawn on the map and listed in the table at most; an area filter narrows.
MAP_LIMIT = 1500
TABLE_LIMIT = 300
TREND_DAYS = 14
PAGE_SIZE = 50


def _render(request, template: str, ctx: dict, section: str, status: int = 200) -> HttpResponse:
    user = request.user
    ctx["rk"] = {
        "section": section,
        "open_alerts": access.visible_alerts(user).filter(status=AlertStatus.OPEN).count(),
        "can_record": has_role(user, *access.INCIDENT_WRITERS),
    }
    return render(request, template, ctx, status=status)


def latest_date(user, today: dt.date | None = None) -> dt.date | None:
    """The newest computed day (not after today) in the user's territory."""
    today = today or timezone.localdate()
    return access.visible_daily(user).filter(date__lte=today).aggregate(d=Max("date"))["d"]


def _elections_for(user):
    scope = scope_for(user)
    out = []
    for e in Election.objects.order_by("-voting_day").prefetch_related("wilayah"):
        codes = [w.kode for w in e.wilayah.all()]
        if scope.everything or any(access.overlaps(scope, c) for c in codes):
            out.append(e)
    return out


def _kelurahan(user, kode: str) -> Wilayah:
    if not KODE_RE.match(kode):
        raise Http404("not a kode")
    w = visible_wilayah(user).filter(kode=kode, level=Level.KELURAHAN).light().first()
    if w is None:
        raise Http404("No such kelurahan in your territory")
    return w


# --- the map ------------------------------------------------------------------------


@role_required(*access.READERS)
def risk_map(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = forms.DayForm(request.GET or None)
    today = timezone.localdate()
    day = form.value("date") or latest_date(user, today) or today
    area = form.value("area")
    level = form.value("level")
    scope = scope_for(user)
    if area and not access.overlaps(scope, area):
        raise Http404("area outside your territory")

    rows_qs = access.visible_daily(user).filter(date=day)
    if area:
        rows_qs = rows_qs.filter(prefix_q((area,), "kelurahan_id"))
    counts = {lv: 0 for lv in ("rendah", "sedang", "tinggi")}
    for lv in rows_qs.values_list("level", flat=True).order_by():
        counts[lv] += 1
    listed = rows_qs.filter(level=level) if level else rows_qs
    rows = list(
        listed.select_related("kelurahan")
        .defer("kelurahan__geometry")
        .order_by("-score", "kelurahan_id")[:TABLE_LIMIT]
    )
    for r in rows:
        r.reasons = top_reasons(r)
    by_kode = {
        k: (s, lv)
        for k, s, lv in rows_qs.order_by("-score").values_list("kelurahan_id", "score", "level")[
            :MAP_LIMIT
        ]
    }
    wil = visible_wilayah(user).filter(level=Level.KELURAHAN, geometry__isnull=False)
    if area:
        wil = wil.within(area)
    if len(by_kode) >= MAP_LIMIT:
        # Too many to draw: the highest scores only (an area filter shows the rest).
        wil = wil.filter(kode__in=list(by_kode))
    features = []
    for kode, nama, geometry in wil.order_by("kode").values_list("kode", "nama", "geometry")[
        :MAP_LIMIT
    ]:
        score, lv = by_kode.get(kode, (None, ""))
        features.append(
            {
                "type": "Feature",
                "geometry": geometry,
                "properties": {
                    "kode": kode,
                    "nama": nama,
                    "score": None if score is None else round(score, 1),
                    "level": lv,
                    "level_label": level_label(lv) if lv else _("not computed"),
                    "url": f"/risk/kelurahan/{kode}/?date={day.isoformat()}",
                },
            }
        )
    rollups = (
        access.visible_rollups(user)
        .filter(
            date=day,
            kind__in=(RollupKind.KECAMATAN, RollupKind.POLSEK, RollupKind.POLRES, RollupKind.KOTA),
        )
        .select_related("top_kelurahan")
        .defer("top_kelurahan__geometry")
        .order_by("kind", "-score", "code")
    )
    if area:
        rollups = rollups.filter(prefix_q((area,), "code")) | rollups.filter(
            kind__in=(RollupKind.POLSEK, RollupKind.POLRES)
        )
    elections = _elections_for(user)
    phase = str(elections[0].get_phase(day)) if elections else "none"
    ctx = {
        "form": form,
        "day": day,
        "prev_day": day - dt.timedelta(days=1),
        "next_day": day + dt.timedelta(days=1) if day < today else None,
        "rows": rows,
        "truncated": len(rows) >= TABLE_LIMIT,
        "counts": counts,
        "total": sum(counts.values()),
        "geojson": {"type": "FeatureCollection", "features": features},
        "map_truncated": len(features) >= MAP_LIMIT,
        "rollups": list(rollups[:200]),
        "elections": elections,
        "phase_label": phase_label(phase) if elections else "",
        "spec": current_spec(),
    }
    return _render(request, "risk/map.html", ctx, "map")


# --- one kelurahan --------------------------------------------------------------------


@role_required(*access.READERS)
def kelurahan_detail(request: HttpRequest, kode: str) -> HttpResponse:
    user = request.user
    w = _kelurahan(user, kode)
    form = forms.DayForm(request.GET or None)
    day = form.value("date") or latest_date(user) or timezone.localdate()
    row = access.visible_daily(user).filter(kelurahan_id=kode, date=day).first()
    history = list(
        access.visible_daily(user)
        .filter(kelurahan_id=kode, date__gt=day - dt.timedelta(days=TREND_DAYS), date__lte=day)
        .order_by("date")
        .only("date", "score", "level")
    )
    scale = max([r.score for r in history] + [row.score if row else 0, 1.0])
    chart = [
        {"date": r.date, "score": r.score, "level": r.level, "height": round(100 * r.score / scale)}
        for r in history
    ]
    start = start_of_day(day - dt.timedelta(days=30))
    end = start_of_day(day + dt.timedelta(days=1))
    incidents = list(
        access.visible_incidents(user)
        .filter(kelurahan_id=kode, occurred_at__gte=start, occurred_at__lt=end)
        .order_by("-occurred_at")[:20]
    )
    hotspots = list(ForecastHotspot.objects.filter(kelurahan_id=kode, as_of=day).order_by("rank"))
    alerts = list(
        access.visible_alerts(user).filter(kelurahan_id=kode).order_by("-date", "-id")[:10]
    )
    features = []
    if w.geometry:
        features.append(
            {
                "type": "Feature",
                "geometry": w.geometry,
                "properties": {
                    "kode": kode,
                    "nama": w.nama,
                    "level": row.level if row else "",
                    "score": round(row.score, 1) if row else None,
                    "role": "self",
                },
            }
        )
    for i in incidents:
        if i.lat is not None:
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [i.lon, i.lat]},
                    "properties": {
                        "role": "incident",
                        "nama": f"{i.get_kind_display()} · "
                        f"{timezone.localtime(i.occurred_at):%d-%m-%Y %H:%M}",
                    },
                }
            )
    for h in hotspots:
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [h.lon, h.lat]},
                "properties": {
                    "role": "hotspot",
                    "nama": _("forecast hotspot #%(rank)s") % {"rank": h.rank},
                },
            }
        )
    ctx = {
        "w": w,
        "parents": w.ancestors(),
        "form": form,
        "day": day,
        "row": row,
        "x": explain(row) if row else None,
        "chart": chart,
        "incidents": incidents,
        "hotspots": hotspots,
        "alerts": alerts,
        "can_assess": access.can_assess(user, kode),
        "can_record": access.can_record_incident(user, kode),
        "geojson": {"type": "FeatureCollection", "features": features},
        "prev_day": day - dt.timedelta(days=1),
        "next_day": day + dt.timedelta(days=1),
    }
    return _render(request, "risk/kelurahan.html", ctx, "map")


# --- assessment -------------------------------------------------------------------------


@role_required(*access.READERS)
@require_http_methods(["GET", "POST"])
def assessment(request: HttpRequest, kode: str) -> HttpResponse:
    user = request.user
    w = _kelurahan(user, kode)
    spec = current_spec()
    can = access.can_assess(user, kode)
    history = list(
        access.visible_assessments(user)
        .filter(kelurahan_id=kode)
        .select_related("created_by")
        .order_by("-created_at", "-id")[:50]
    )
    latest = history[0] if history else None
    status = 200
    if request.method == "POST":
        if not can:
            raise PermissionDenied(_("Your role does not fill assessments."))
        form = forms.AssessmentForm(request.POST, spec=spec)
        if form.is_valid():
            try:
                actions.do_save_assessment(
                    user,
                    kode,
                    form.cleaned_data["period_start"],
                    form.cleaned_data["period_end"],
                    form.answers(),
                    form.cleaned_data.get("notes", ""),
                )
            except actions.RiskError as exc:
                for field, msg in exc.errors.items():
                    name = f"a_{field}" if f"a_{field}" in form.fields else field
                    form.add_error(name if name in form.fields else None, msg)
            else:
                messages.success(request, _("Assessment saved. The index of today was updated."))
                return redirect("risk:assessment", kode)
        status = 422
    else:
        start, end = forms.default_period(timezone.localdate(), _elections_for(user))
        form = forms.AssessmentForm(
            spec=spec,
            initial={"period_start": start, "period_end": end},
            initial_answers=latest.answers if latest else None,
        )
    points = spec.indicator_points()
    labels = {i.code: label(i.label) for i in spec.indicators}
    answer_labels = [label(a) for a in spec.answers]
    for a in history:
        a_spec = spec_for_version(a.spec_version) or spec
        a_points = a_spec.indicator_points()
        a.points = round(
            sum(a_points.get(c, 0) * v / a_spec.max_answer for c, v in a.answers.items()), 1
        )
        a.lines = [
            (labels.get(c, c), answer_labels[v] if 0 <= v < len(answer_labels) else v)
            for c, v in a.answers.items()
        ]
    ctx = {
        "w": w,
        "form": form,
        "can_assess": can,
        "history": history,
        "spec": spec,
        "max_points": round(sum(points.values()), 1),
    }
    return _render(request, "risk/assessment.html", ctx, "map", status=status)


# --- alerts ----------------------------------------------------------------------------


@role_required(*access.READERS)
def alerts(request: HttpRequest) -> HttpResponse:
    user = request.user
    data = request.GET.copy()
    if "status" not in data:
        data["status"] = AlertStatus.OPEN
    form = forms.AlertFilterForm(data)
    qs = (
        access.visible_alerts(user)
        .select_related("kelurahan", "handled_by")
        .defer("kelurahan__geometry")
    )
    if form.is_valid():
        if form.cleaned_data["status"]:
            qs = qs.filter(status=form.cleaned_data["status"])
        if form.cleaned_data["kind"]:
            qs = qs.filter(kind=form.cleaned_data["kind"])
    page = Paginator(qs.order_by("-date", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    labels = component_labels(current_spec())
    for a in page:
        a.reasons = [labels.get(c, c) for c in (a.detail or {}).get("top", {})]
        a.can_handle = access.can_handle_alert(user, a)
    return _render(request, "risk/alerts.html", {"form": form, "page": page}, "alerts")


@role_required(*access.READERS)
@require_POST
def alert_update(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    try:
        alert = actions.get_alert_for_user(user, pk)
    except actions.NotInScope:
        raise Http404("No such alert in your territory") from None
    form = forms.AlertUpdateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Unknown alert status."))
        return redirect("risk:alerts")
    try:
        actions.do_update_alert(user, alert, form.cleaned_data["status"], form.cleaned_data["note"])
    except actions.NotAllowed as exc:
        raise PermissionDenied(str(exc)) from None
    messages.success(request, _("Alert updated."))
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "risk:alerts"
    return redirect(next_url)


# --- incidents ---------------------------------------------------------------------------


@role_required(*access.READERS)
def incidents(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = forms.IncidentFilterForm(request.GET or None)
    qs = (
        access.visible_incidents(user)
        .select_related("kelurahan", "report")
        .defer("kelurahan__geometry")
    )
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        if d["kelurahan"]:
            qs = qs.filter(prefix_q((d["kelurahan"],), "kelurahan_id"))
        if d["since"]:
            qs = qs.filter(occurred_at__gte=start_of_day(d["since"]))
        if d["until"]:
            qs = qs.filter(occurred_at__lt=start_of_day(d["until"] + dt.timedelta(days=1)))
    page = Paginator(qs.order_by("-occurred_at", "-id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return _render(request, "risk/incidents.html", {"form": form, "page": page}, "incidents")


@role_required(*access.INCIDENT_WRITERS)
@require_http_methods(["GET", "POST"])
def incident_new(request: HttpRequest) -> HttpResponse:
    user = request.user
    status = 200
    if request.method == "POST":
        form = forms.IncidentForm(request.POST, user=user)
        if form.is_valid():
            d = form.cleaned_data
            try:
                incident = actions.do_record_incident(
                    user,
                    actions.IncidentInput(
                        occurred_at=d["occurred_at"],
                        kind=d["kind"],
                        severity=d["severity"],
                        kelurahan=d.get("kelurahan") or "",
                        lat=d.get("lat"),
                        lon=d.get("lon"),
                        source=d["source"],
                        description=d.get("description", ""),
                        report_ticket=d.get("report_ticket", ""),
                    ),
                )
            except actions.RiskError as exc:
                for field, msg in exc.errors.items():
                    form.add_error(field if field in form.fields else None, msg)
            except actions.NotInScope:
                form.add_error("kelurahan", _("This kelurahan is not in your territory."))
            except actions.NotAllowed as exc:
                raise PermissionDenied(str(exc)) from None
            else:
                messages.success(request, _("Incident recorded."))
                return redirect(f"/risk/kelurahan/{incident.kelurahan_id}/")
        status = 422
    else:
        initial = {}
        if KODE_RE.match(request.GET.get("kelurahan", "")):
            initial["kelurahan"] = request.GET["kelurahan"]
        form = forms.IncidentForm(user=user, initial=initial)
    return _render(request, "risk/incident_form.html", {"form": form}, "incidents", status=status)

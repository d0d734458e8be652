"""Monitoring API under /api/v1/monitoring/: narratives, posts, alerts and
claim matching, scoped like the pages (out of scope is 404)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from sejuk.monitoring import archive
from sejuk.monitoring.access import can_read, visible_alerts, visible_narratives, visible_posts
from sejuk.monitoring.forms import MAX_ID
from sejuk.monitoring.models import MonitoringSettings, Post

router = Router(tags=["monitoring"])


class Message(Schema):
    detail: str


class ClaimMatchOut(Schema):
    id: int
    title: str
    verdict: str
    source: str
    url: str
    score: float


class PostOut(Schema):
    id: int
    platform: str
    external_id: str
    author: str
    text: str
    posted_at: dt.datetime
    url: str
    area: str
    kelurahan: str | None
    located_by: str
    provocative: bool
    sara: bool
    scores: dict
    narrative_id: int | None
    duplicate_of: int | None


def _post(p) -> dict:
    return {
        "id": p.pk, "platform": p.platform, "external_id": p.external_id, "author": p.author,
        "text": p.text, "posted_at": p.posted_at, "url": p.url, "area": p.area_kode,
        "kelurahan": p.kelurahan_id, "located_by": p.located_by, "provocative": p.provocative,
        "sara": p.sara, "scores": p.scores or {}, "narrative_id": p.narrative_id,
        "duplicate_of": p.duplicate_of_id,
    }  # fmt: skip


class NarrativeOut(Schema):
    id: int
    title: str
    terms: list[str]
    first_seen: dt.datetime
    last_seen: dt.datetime
    posts: int
    provocative: int
    sara: int


def _forbidden(user) -> Status | None:
    if not can_read(user):
        return Status(403, {"detail": "your role does not use monitoring"})
    return None


@router.get(
    "/monitoring/narratives",
    response={200: list[NarrativeOut], 403: Message},
    summary="Narratives with posts in your territory (counts are of those posts)",
)
def narratives(request, days: int = Query(7, ge=1, le=90), limit: int = Query(50, ge=1, le=500)):
    if (denied := _forbidden(request.auth)) is not None:
        return denied
    since = timezone.now() - dt.timedelta(days=days)
    rows = (
        visible_posts(request.auth)
        .filter(posted_at__gte=since, narrative__isnull=False, counted=True)
        .values("narrative_id", "narrative__title", "narrative__terms", "narrative__first_seen",
                "narrative__last_seen")
        .annotate(n=Count("pk"), prov=Count("pk", filter=Q(provocative=True)),
                  sara=Count("pk", filter=Q(sara=True)))
        .order_by("-n")[:limit]
    )  # fmt: skip
    return [
        {"id": r["narrative_id"], "title": r["narrative__title"], "terms": r["narrative__terms"],
         "first_seen": r["narrative__first_seen"], "last_seen": r["narrative__last_seen"],
         "posts": r["n"], "provocative": r["prov"], "sara": r["sara"]}
        for r in rows
    ]  # fmt: skip


@router.get(
    "/monitoring/narratives/{narrative_id}", response={200: dict, 403: Message, 404: Message}
)
def narrative(request, narrative_id: int):
    if (denied := _forbidden(request.auth)) is not None:
        return denied
    from sejuk.monitoring.actions import narrative_trend

    n = get_object_or_404(visible_narratives(request.auth), pk=narrative_id)
    posts = visible_posts(request.auth).filter(narrative=n, duplicate_of__isnull=True)
    return {
        "id": n.pk,
        "title": n.title,
        "terms": n.terms,
        "first_seen": n.first_seen.isoformat(),
        "last_seen": n.last_seen.isoformat(),
        "trend": narrative_trend(n.pk),
        "posts": [_post(p) for p in posts.order_by("-posted_at")[:100]],
    }


@router.get("/monitoring/posts", response={200: list[PostOut], 403: Message})
def posts(
    request,
    q: str = Query("", max_length=200),
    kind: str = Query(
        "",
        pattern="^(|provocative|sara|flagged)$",
        description="provocative, sara or flagged (empty: all)",
    ),  # fmt: skip
    area: str = Query("", max_length=13),
    narrative: int | None = Query(None, ge=1, le=MAX_ID),
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    copies: bool = False,
    limit: int = Query(100, ge=1, le=1000),
):
    if (denied := _forbidden(request.auth)) is not None:
        return denied
    qs = visible_posts(request.auth)
    if q:
        qs = qs.filter(text__icontains=q)
    qs = qs.filter(Post.flag_q(kind))
    if area:
        qs = qs.filter(area_kode=area)
    if narrative:
        qs = qs.filter(narrative_id=narrative)
    if since:
        qs = qs.filter(posted_at__gte=since)
    if until:
        qs = qs.filter(posted_at__lt=until)
    if not copies:
        qs = qs.filter(duplicate_of__isnull=True)
    return [_post(p) for p in qs.order_by("-posted_at", "-pk")[:limit]]


@router.get("/monitoring/posts/{post_id}", response={200: dict, 403: Message, 404: Message})
def post(request, post_id: int):
    if (denied := _forbidden(request.auth)) is not None:
        return denied
    p = get_object_or_404(visible_posts(request.auth), pk=post_id)
    s = MonitoringSettings.current()
    matches = archive.match_texts([p.text], k=5, min_score=s.claim_min_score)[0]
    return {
        **_post(p),
        "posted_at": p.posted_at.isoformat(),
        "claims": [m.as_dict() for m in matches],
    }


class MatchIn(Schema):
    text: str | None = Field(None, min_length=3, max_length=10_000)
    post_id: int | None = None
    report_id: int | None = None
    k: int = Field(3, ge=1, le=20)


@router.post(
    "/monitoring/claims/match",
    response={200: list[ClaimMatchOut], 403: Message, 404: Message, 422: Message},
    summary="The closest fact-checked claims of a text, a post or a citizen report",
)
def match(request, payload: MatchIn):
    user = request.auth
    if (denied := _forbidden(user)) is not None:
        return denied
    if payload.post_id:
        text = get_object_or_404(visible_posts(user), pk=payload.post_id).text
    elif payload.report_id:
        from sejuk.reports.access import visible_reports

        text = get_object_or_404(visible_reports(user), pk=payload.report_id).description
    elif payload.text:
        text = payload.text
    else:
        return Status(422, {"detail": "give text, post_id or report_id"})
    return [m.as_dict() for m in archive.match_texts([text], k=payload.k)[0]]


@router.get("/monitoring/alerts", response={200: list[dict], 403: Message})
def alerts(request, status: str = "", limit: int = Query(100, ge=1, le=1000)):
    if (denied := _forbidden(request.auth)) is not None:
        return denied
    qs = visible_alerts(request.auth)
    if status:
        qs = qs.filter(status=status)
    return [_alert(a, brief=False) for a in qs.order_by("-first_detected_at")[:limit]]


@router.get("/monitoring/alerts/{alert_id}", response={200: dict, 403: Message, 404: Message})
def alert(request, alert_id: int):
    if (denied := _forbidden(request.auth)) is not None:
        return denied
    return _alert(get_object_or_404(visible_alerts(request.auth), pk=alert_id), brief=True)


def _alert(a, brief: bool) -> dict:
    out = {
        "id": a.pk, "area": a.area_kode, "kind": a.kind, "status": a.status,
        "observed": a.observed, "expected": a.expected, "p_value": a.p_value,
        "window_start": a.window_start.isoformat(), "window_end": a.window_end.isoformat(),
        "first_detected_at": a.first_detected_at.isoformat(),
        "last_detected_at": a.last_detected_at.isoformat(),
    }  # fmt: skip
    if brief:
        out["brief"] = a.brief
    return out

"""JSON API for the early-warning app: /api/v1/risk/… (docs/risk.md).

Scoped like the pages: a kelurahan outside the caller's territory is 404,
a role without risk access sees nothing (404 for single objects, empty lists).
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from sejuk.core.forms import start_of_day
from sejuk.risk import access, actions
from sejuk.risk.explain import explain
from sejuk.risk.models import DAY_MAX, DAY_MIN, AlertStatus, Incident, RiskAlert
from sejuk.risk.signals import prefix_q
from sejuk.territory.models import KODE_RE

router = Router(tags=["risk"])
MAX_LIMIT = 1000


class Message(Schema):
    detail: str


class IndexRow(Schema):
    kelurahan: str
    nama: str
    date: dt.date
    score: float
    level: str
    trend: float | None
    phase: str
    assessed: bool


class IndexPage(Schema):
    date: dt.date | None
    count: int
    results: list[IndexRow]


class Line(Schema):
    code: str
    kind: str
    label: str
    points: float
    shown: float
    value: float | None = None


class KelurahanRisk(Schema):
    kelurahan: str
    nama: str
    date: dt.date
    score: float
    level: str
    trend: float | None
    phase: str
    assessed: bool
    spec_version: str
    contributions: dict[str, float]
    explanation: list[Line]
    history: list[dict]


class RollupOut(Schema):
    kind: str
    code: str
    name: str
    date: dt.date
    score: float
    mean: float
    level: str
    n_kelurahan: int
    n_rendah: int
    n_sedang: int
    n_tinggi: int
    top_kelurahan: str | None


class AlertOut(Schema):
    id: int
    kind: str
    kelurahan: str
    date: dt.date
    level: str
    previous_level: str
    score: float | None
    status: str
    detail: dict
    created_at: dt.datetime


class AlertUpdateIn(Schema):
    status: str
    note: str = Field("", max_length=5000)


class IncidentIn(Schema):
    occurred_at: dt.datetime
    kind: str
    severity: int = Field(1, ge=1, le=3)
    kelurahan: str = Field("", max_length=13)
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    source: str = "manual"
    description: str = Field("", max_length=20_000)
    report_ticket: str = Field("", max_length=12)


class IncidentOut(Schema):
    id: int
    kelurahan: str
    occurred_at: dt.datetime
    kind: str
    severity: int
    lat: float | None
    lon: float | None
    source: str
    description: str


class AssessmentIn(Schema):
    kelurahan: str = Field(..., max_length=13)
    period_start: dt.date
    period_end: dt.date
    answers: dict[str, int]
    notes: str = Field("", max_length=20_000)


class AssessmentOut(Schema):
    id: int
    kelurahan: str
    period_start: dt.date
    period_end: dt.date
    spec_version: str
    answers: dict[str, int]
    notes: str
    created_by: str | None
    created_at: dt.datetime


def _day(value: dt.date | None, user) -> dt.date | None:
    from sejuk.risk.views import latest_date

    return value or latest_date(user)


@router.get("/risk/index", response=IndexPage, summary="The index of a day in your territory")
def index(
    request: HttpRequest,
    date: dt.date | None = None,
    area: str | None = Query(None, max_length=13),
    level: str | None = None,
    limit: int = Query(200, ge=1, le=MAX_LIMIT),
    offset: int = Query(0, ge=0),
):
    """Kelurahan of a day (default: the newest computed), highest score first."""
    user = request.user
    day = _day(date, user)
    if day is None:
        return {"date": None, "count": 0, "results": []}
    qs = access.visible_daily(user).filter(date=day)
    if area:
        if not KODE_RE.match(area):
            raise actions.RiskError({"area": "not a kode wilayah"})
        qs = qs.filter(prefix_q((area,), "kelurahan_id"))
    if level:
        qs = qs.filter(level=level)
    rows = (
        qs.select_related("kelurahan")
        .defer("kelurahan__geometry")
        .order_by("-score", "kelurahan_id")[offset : offset + limit]
    )
    return {
        "date": day,
        "count": qs.count(),
        "results": [
            {
                "kelurahan": r.kelurahan_id,
                "nama": r.kelurahan.nama,
                "date": r.date,
                "score": r.score,
                "level": r.level,
                "trend": r.trend,
                "phase": r.phase,
                "assessed": r.assessed,
            }
            for r in rows
        ],
    }


@router.get(
    "/risk/kelurahan/{kode}",
    response={200: KelurahanRisk, 404: Message},
    summary="One kelurahan's score with every contribution",
)
def kelurahan(request: HttpRequest, kode: str, date: dt.date | None = None):
    user = request.user
    day = _day(date, user)
    row = (
        access.visible_daily(user)
        .filter(kelurahan_id=kode, date=day)
        .select_related("kelurahan")
        .defer("kelurahan__geometry")
        .first()
        if day
        else None
    )
    if row is None:
        return Status(404, {"detail": "Not computed for this day, or not in your territory"})
    x = explain(row)
    lines = []
    for d in x["dimensions"]:
        for line in d["lines"]:
            lines.append(
                {
                    "code": line["code"],
                    "kind": "indicator",
                    "label": line["label"],
                    "points": line["points"],
                    "shown": line["shown"],
                    "value": line["answer"],
                }
            )
    for s in x["signals"]:
        lines.append(
            {
                "code": s["code"],
                "kind": "signal",
                "label": s["label"],
                "points": s["points"],
                "shown": s["shown"],
                "value": s["value"],
            }
        )
    for u in x["unknown"]:
        lines.append(
            {
                "code": u["code"],
                "kind": "other",
                "label": u["label"],
                "points": u["points"],
                "shown": u["shown"],
            }
        )
    c = x["calendar"]
    lines.append(
        {
            "code": "calendar",
            "kind": "calendar",
            "label": c["label"],
            "points": c["points"],
            "shown": c["shown"],
            "value": c["multiplier"],
        }
    )
    history = list(
        access.visible_daily(user)
        .filter(kelurahan_id=kode, date__gt=row.date - dt.timedelta(days=7), date__lte=row.date)
        .order_by("date")
        .values("date", "score", "level")
    )
    return {
        "kelurahan": row.kelurahan_id,
        "nama": row.kelurahan.nama,
        "date": row.date,
        "score": row.score,
        "level": row.level,
        "trend": row.trend,
        "phase": row.phase,
        "assessed": row.assessed,
        "spec_version": row.spec_version,
        "contributions": row.contributions,
        "explanation": lines,
        "history": history,
    }


@router.get("/risk/rollups", response=list[RollupOut], summary="Areas and units on a day")
def rollups(request: HttpRequest, date: dt.date | None = None, kind: str | None = None):
    user = request.user
    day = _day(date, user)
    if day is None:
        return []
    qs = access.visible_rollups(user).filter(date=day)
    if kind:
        qs = qs.filter(kind=kind)
    return [
        {
            "kind": r.kind,
            "code": r.code,
            "name": r.name,
            "date": r.date,
            "score": r.score,
            "mean": r.mean,
            "level": r.level,
            "n_kelurahan": r.n_kelurahan,
            "n_rendah": r.n_rendah,
            "n_sedang": r.n_sedang,
            "n_tinggi": r.n_tinggi,
            "top_kelurahan": r.top_kelurahan_id,
        }
        for r in qs.order_by("kind", "-score", "code")[:MAX_LIMIT]
    ]


def _alert_out(a: RiskAlert) -> dict:
    return {
        "id": a.pk,
        "kind": a.kind,
        "kelurahan": a.kelurahan_id,
        "date": a.date,
        "level": a.level,
        "previous_level": a.previous_level,
        "score": a.score,
        "status": a.status,
        "detail": a.detail,
        "created_at": a.created_at,
    }


@router.get("/risk/alerts", response=list[AlertOut], summary="Alerts in your territory")
def alerts(
    request: HttpRequest,
    status: str | None = AlertStatus.OPEN,
    limit: int = Query(100, ge=1, le=MAX_LIMIT),
):
    qs = access.visible_alerts(request.user)
    if status:
        qs = qs.filter(status=status)
    return [_alert_out(a) for a in qs.order_by("-date", "-id")[:limit]]


@router.post(
    "/risk/alerts/{alert_id}",
    response={200: AlertOut, 403: Message, 404: Message, 422: Message},
    summary="Acknowledge, close or reopen an alert",
)
def alert_update(request: HttpRequest, alert_id: int, payload: AlertUpdateIn):
    alert = actions.get_alert_for_user(request.user, alert_id)
    return _alert_out(actions.do_update_alert(request.user, alert, payload.status, payload.note))


def _incident_out(i: Incident) -> dict:
    return {
        "id": i.pk,
        "kelurahan": i.kelurahan_id,
        "occurred_at": i.occurred_at,
        "kind": i.kind,
        "severity": i.severity,
        "lat": i.lat,
        "lon": i.lon,
        "source": i.source,
        "description": i.description,
    }


@router.get("/risk/incidents", response=list[IncidentOut], summary="Incidents in your territory")
def incidents(
    request: HttpRequest,
    kelurahan: str | None = Query(None, max_length=13),
    since: dt.date | None = None,
    limit: int = Query(200, ge=1, le=MAX_LIMIT),
):
    qs = access.visible_incidents(request.user)
    if kelurahan:
        if not KODE_RE.match(kelurahan):
            raise actions.RiskError({"kelurahan": "not a kode wilayah"})
        qs = qs.filter(prefix_q((kelurahan,), "kelurahan_id"))
    if since:
        if not DAY_MIN <= since <= DAY_MAX:
            raise actions.RiskError(
                {
                    "since": _("Give a date between %(min)s and %(max)s.")
                    % {"min": DAY_MIN, "max": DAY_MAX}
                }
            )
        qs = qs.filter(occurred_at__gte=start_of_day(since))
    return [_incident_out(i) for i in qs.order_by("-occurred_at", "-id")[:limit]]


@router.post(
    "/risk/incidents",
    response={201: IncidentOut, 403: Message, 404: Message, 422: Message},
    summary="Record an incident",
)
def incident_create(request: HttpRequest, payload: IncidentIn):
    incident = actions.do_record_incident(request.user, actions.IncidentInput(**payload.dict()))
    return Status(201, _incident_out(incident))


def _assessment_out(a) -> dict:
    return {
        "id": a.pk,
        "kelurahan": a.kelurahan_id,
        "period_start": a.period_start,
        "period_end": a.period_end,
        "spec_version": a.spec_version,
        "answers": a.answers,
        "notes": a.notes,
        "created_by": a.created_by.username if a.created_by else None,
        "created_at": a.created_at,
    }


@router.get(
    "/risk/kelurahan/{kode}/assessments",
    response=list[AssessmentOut],
    summary="A kelurahan's assessments, newest first",
)
def assessments(request: HttpRequest, kode: str):
    qs = access.visible_assessments(request.user).filter(kelurahan_id=kode)
    return [_assessment_out(a) for a in qs.select_related("created_by").order_by("-created_at")]


@router.post(
    "/risk/assessments",
    response={201: AssessmentOut, 403: Message, 404: Message, 422: Message},
    summary="File an assessment (a new row; history is kept)",
)
def assessment_create(request: HttpRequest, payload: AssessmentIn):
    a = actions.do_save_assessment(
        request.user,
        payload.kelurahan,
        payload.period_start,
        payload.period_end,
        payload.answers,
        payload.notes,
    )
    return Status(201, _assessment_out(a))


def register(api) -> None:
    """Add the router and the exception mapping to the project's NinjaAPI."""

    def field_errors(request, exc: actions.RiskError):
        detail = [
            {"loc": ["body", k], "msg": v, "type": "value_error"} for k, v in exc.errors.items()
        ]
        return api.create_response(request, {"detail": detail, "message": str(exc)}, status=422)

    api.add_exception_handler(actions.RiskError, field_errors)
    api.add_exception_handler(
        actions.NotInScope,
        lambda request, exc: api.create_response(
            request, {"detail": "Not found in your territory"}, status=404
        ),
    )
    api.add_exception_handler(
        actions.NotAllowed,
        lambda request, exc: api.create_response(request, {"detail": str(exc)}, status=403),
    )
    api.add_router("/", router)

"""Writes of the risk app: computing the index, rollups, alerts, forecasts,
assessments, incidents and alert decisions.

Views and the API validate and call these; the background job and the
command line call :func:`compute_index`. The arithmetic lives in the
Django-free library ``sejuk.analytics.riskindex`` (and the forecast in
``sejuk.analytics.forecast``); this module reads the database, calls them
and writes the results.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from sejuk.accounts import audit
from sejuk.accounts.access import scope_for
from sejuk.accounts.models import AuditAction, Role, User
from sejuk.analytics.riskindex import (
    LEVELS,
    IndexInputs,
    IndexSpec,
    RiskIndex,
    levels_of,
    rollup,
    trend_slope,
)
from sejuk.reports.models import Notification, Report, Status
from sejuk.risk import access
from sejuk.risk.db import upsert
from sejuk.risk.indicators import current_spec
from sejuk.risk.models import (
    DAY_MIN,
    LEVEL_ORDER,
    AlertKind,
    AlertStatus,
    Assessment,
    ComputeRun,
    DailyRisk,
    ForecastHotspot,
    Incident,
    IncidentKind,
    IncidentSource,
    RiskAlert,
    RiskRollup,
    RollupKind,
)
from sejuk.risk.signals import Territory, gather, minimal_prefixes, prefix_q, territory
from sejuk.territory.models import Level, PoliceUnit, UnitKind, Wilayah

log = logging.getLogger(__name__)

# Contributions and inputs are stored with 4 decimals; the stored score is
# the sum of the stored contributions, so the explanation adds up exactly.
DECIMALS = 4

# The DailyRisk columns written by the daily upsert, in the order of the rows
# that _score_and_store yields (bench/risk_index.py writes the same shape).
DAILY_FIELDS = [
    "kelurahan",
    "date",
    "score",
    "level",
    "trend",
    "static_points",
    "signal_points",
    "calendar_points",
    "phase",
    "assessed",
    "contributions",
    "inputs",
    "spec_version",
    "computed_at",
]
DAILY_KEY = ["kelurahan", "date"]


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


class RiskError(Exception):
    """Invalid input: ``errors`` maps a field to its message (answered as 422)."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


class NotInScope(Exception):
    """The kelurahan or record is outside the caller's territory (answered as 404)."""


class NotAllowed(Exception):
    """The caller's role may not do this (answered as 403)."""


# --- the index -------------------------------------------------------------------


@dataclass
class ComputeResult:
    date: dt.date
    scope: str
    kelurahan: int
    rollups: int
    seconds: float
    spec_version: str
    alerts: list[RiskAlert] = field(default_factory=list)
    forecast: str = ""
    levels: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "date": self.date.isoformat(),
            "scope": self.scope,
            "kelurahan": self.kelurahan,
            "rollups": self.rollups,
            "levels": self.levels,
            "alerts": len(self.alerts),
            "forecast": self.forecast,
            "spec_version": self.spec_version,
            "seconds": round(self.seconds, 3),
        }


def resolve_scope(scope: str | None) -> tuple[str, ...] | None:
    """``None``/"served": the territory of the police units (all if there are none);
    "all": every kelurahan; otherwise comma-separated kode prefixes."""
    from sejuk.risk.signals import served_prefixes

    if scope in (None, "", "served"):
        return served_prefixes()
    if scope == "all":
        return None
    from sejuk.territory.models import KODE_RE

    parts = [p.strip() for p in scope.split(",") if p.strip()]
    for p in parts:
        if not KODE_RE.match(p):
            raise RiskError({"scope": f"{p!r} is not a kode wilayah like 31.71 or 31.71.08.1003"})
    found = set(Wilayah.objects.filter(kode__in=parts).values_list("kode", flat=True))
    missing = [p for p in parts if p not in found]
    if missing:
        raise RiskError({"scope": f"no wilayah {', '.join(missing)} (territory imported?)"})
    return minimal_prefixes(parts)


def compute_index(
    day: dt.date,
    prefixes: tuple[str, ...] | None,
    *,
    source: str = "cli",
    alerts: bool = True,
    forecast: bool = True,
    spec: IndexSpec | None = None,
) -> ComputeResult:
    """Score every kelurahan under ``prefixes`` (None: all) for ``day`` and store it.

    Idempotent: a second run for the same day replaces the rows (upsert), and
    alerts are keyed so they are raised once. Then the rollups of every area
    and unit touching the territory are recomputed from the stored rows, level
    alerts are raised against the day before, and (unless ``forecast`` is
    False) the hotspot forecast for the next day runs.
    """
    started = time.perf_counter()
    spec = spec or current_spec()
    terr = territory(prefixes)
    level = _score_and_store(terr, day, spec)
    n_rollups = compute_rollups(day, terr, spec)
    raised: list[RiskAlert] = []
    if alerts:
        raised += raise_level_alerts(day, terr)
    outcome = ""
    if forecast:
        hot, outcome = run_forecast(day + dt.timedelta(days=1), terr)
        raised += hot
    seconds = time.perf_counter() - started
    ComputeRun.objects.create(
        date=day,
        scope=terr.label[:200],
        kelurahan=len(terr.codes),
        spec_version=spec.version,
        source=source[:40],
        seconds=seconds,
        alerts=len(raised),
    )
    audit.log(
        AuditAction.IMPORT,
        object_type="risk.dailyrisk",
        object_repr=f"risk index {day.isoformat()} ({terr.label})"[:300],
        changes={"kelurahan": len(terr.codes), "spec": spec.version, "alerts": len(raised)},
    )
    levels = {name: int((level == i).sum()) for i, name in enumerate(LEVELS)}
    return ComputeResult(
        date=day,
        scope=terr.label,
        kelurahan=len(terr.codes),
        rollups=n_rollups,
        seconds=seconds,
        spec_version=spec.version,
        alerts=raised,
        forecast=outcome,
        levels=levels,
    )


def _score_and_store(terr: Territory, day: dt.date, spec: IndexSpec) -> np.ndarray:
    """Score, compute trends and upsert the day's rows; returns the level per row."""
    g = gather(terr, day, spec)
    result = RiskIndex(spec).score(IndexInputs(g.answers, g.signals, g.phase))
    n_ind = len(spec.indicators)
    n_sig = len(spec.signals)
    comps = spec.components
    ind_codes = [i.code for i in spec.indicators]
    sig_codes = [s.code for s in spec.signals]
    rounded = np.round(result.contributions, DECIMALS)
    # The stored score is the sum of the stored contributions (see DECIMALS).
    score = np.round(rounded.sum(axis=1), DECIMALS)
    level = levels_of(score, spec.thresholds)
    trend = _trend(terr, day, score)
    static = np.round(rounded[:, :n_ind].sum(axis=1), DECIMALS)
    live = np.round(rounded[:, n_ind : n_ind + n_sig].sum(axis=1), DECIMALS)
    signals = np.round(g.signals, DECIMALS)
    has_answers = ~np.isnan(g.answers).all(axis=1)
    busy = (rounded != 0).any(axis=1) | (g.counts != 0).any(axis=1) | has_answers
    ops = connection.ops
    now = ops.adapt_datetimefield_value(timezone.now())
    day_value = ops.adapt_datefield_value(day)
    assessed = result.assessed.tolist()
    phase = [str(p) for p in g.phase]

    def rows():
        for i, kode in enumerate(terr.codes):
            contributions = "{}"
            inputs = "{}"
            # Most kelurahan have no data at all: skip the per-row work for them.
            if busy[i]:
                row = rounded[i]
                contributions = json.dumps({comps[j]: float(row[j]) for j in np.flatnonzero(row)})
                data: dict[str, Any] = {}
                if has_answers[i]:
                    data["answers"] = {
                        ind_codes[j]: int(v)
                        for j, v in enumerate(g.answers[i])
                        if not np.isnan(v) and v != 0
                    }
                    a = g.assessments.get(kode)
                    if a is not None:
                        data["assessment"] = a.pk
                sig = {sig_codes[j]: float(signals[i, j]) for j in np.flatnonzero(signals[i])}
                if sig:
                    data["signals"] = sig
                counts = {sig_codes[j]: int(c) for j, c in enumerate(g.counts[i]) if c}
                if counts:
                    data["counts"] = counts
                inputs = json.dumps(data)
            t = trend[i]
            yield (
                kode,
                day_value,
                float(score[i]),
                LEVELS[int(level[i])],
                None if math.isnan(t) else round(float(t), 3),
                float(static[i]),
                float(live[i]),
                float(rounded[i, -1]),
                phase[i],
                assessed[i],
                contributions,
                inputs,
                spec.version,
                now,
            )

    upsert(DailyRisk, DAILY_FIELDS, DAILY_KEY, rows())
    return level


def _trend(terr: Territory, day: dt.date, score: np.ndarray) -> np.ndarray:
    """Slope (points/day) over ``day`` and the six stored days before it."""
    n = len(terr.codes)
    history = np.full((n, 7), np.nan)
    history[:, 6] = score
    if n == 0:
        return np.empty(0)
    index = terr.index()
    first = day - dt.timedelta(days=6)
    for kode, d, s in DailyRisk.objects.filter(terr.q(), date__gte=first, date__lt=day).values_list(
        "kelurahan_id", "date", "score"
    ):
        i = index.get(kode)
        if i is not None:
            history[i, (d - first).days] = s
    return trend_slope(history, np.arange(-6, 1))


# --- rollups ----------------------------------------------------------------------


def _touched_units(terr: Territory) -> list[tuple[PoliceUnit, list[str]]]:
    """Police units whose territory overlaps ``terr``, with their wilayah codes."""
    codes: dict[int, list[str]] = {}
    for unit_id, kode in PoliceUnit.wilayah.through.objects.values_list(
        "policeunit_id", "wilayah_id"
    ):
        codes.setdefault(unit_id, []).append(kode)

    def overlaps(unit_codes: list[str]) -> bool:
        if terr.prefixes is None:
            return True
        return any(
            c == p or c.startswith(p + ".") or p.startswith(c + ".")
            for c in unit_codes
            for p in terr.prefixes
        )

    units = PoliceUnit.objects.filter(pk__in=list(codes)).only("pk", "code", "name", "kind")
    return [(u, codes[u.pk]) for u in units if overlaps(codes[u.pk])]


def compute_rollups(day: dt.date, terr: Territory, spec: IndexSpec | None = None) -> int:
    """Recompute the day's rollups of every area and unit touching ``terr`` from stored rows."""
    spec = spec or current_spec()
    units = _touched_units(terr)
    if terr.prefixes is None:
        provinces: tuple[str, ...] | None = None
    else:
        provinces = minimal_prefixes(
            [p[:2] for p in terr.prefixes] + [c[:2] for _u, cs in units for c in cs]
        )
    rows = list(
        DailyRisk.objects.filter(prefix_q(provinces, "kelurahan_id"), date=day)
        .order_by("kelurahan_id")
        .values_list("kelurahan_id", "score")
    )
    if not rows:
        return 0
    codes = np.array([r[0] for r in rows])
    score = np.array([r[1] for r in rows], dtype=np.float64)
    level = levels_of(score, spec.thresholds)
    n = len(codes)
    groups: list[tuple[str, str, PoliceUnit | None]] = []  # (kind, code, unit)
    member: list[np.ndarray] = []
    group: list[np.ndarray] = []
    rows_idx = np.arange(n)
    for kind, width in ((RollupKind.PROVINSI, 2), (RollupKind.KOTA, 5), (RollupKind.KECAMATAN, 8)):
        keys, inverse = np.unique(np.array([c[:width] for c in codes]), return_inverse=True)
        offset = len(groups)
        groups += [(kind, str(k), None) for k in keys.tolist()]
        member.append(rows_idx)
        group.append(inverse.reshape(-1) + offset)
    unit_kind = {
        UnitKind.POLDA: RollupKind.POLDA,
        UnitKind.POLRES: RollupKind.POLRES,
        UnitKind.POLSEK: RollupKind.POLSEK,
    }
    for unit, unit_codes in units:
        inside = np.zeros(n, dtype=bool)
        for c in unit_codes:
            # codes are sorted: the descendants of c are one contiguous run.
            lo, hi = np.searchsorted(codes, [c + ".", c + "/"])
            inside[lo:hi] = True
            inside |= codes == c
        if not inside.any():
            continue
        groups.append((unit_kind[unit.kind], unit.code, unit))
        idx = np.flatnonzero(inside)
        member.append(idx)
        group.append(np.full(len(idx), len(groups) - 1))
    agg = rollup(score, level, np.concatenate(member), np.concatenate(group), len(groups))
    names = dict(
        Wilayah.objects.filter(kode__in=[g[1] for g in groups if g[2] is None]).values_list(
            "kode", "nama"
        )
    )
    ops = connection.ops
    now = ops.adapt_datetimefield_value(timezone.now())
    day_value = ops.adapt_datefield_value(day)
    objs = []
    for gi, (kind, code, unit) in enumerate(groups):
        if agg.count[gi] == 0:
            continue
        top = float(agg.max[gi])
        per = agg.per_level[gi]
        objs.append(
            (
                day_value,
                str(kind),
                code,
                (unit.name if unit else names.get(code, code))[:120],
                unit.pk if unit else None,
                top,
                round(float(agg.mean[gi]), DECIMALS),
                spec.level_of(top),
                int(agg.count[gi]),
                int(per[0]),
                int(per[1]),
                int(per[2]),
                str(codes[agg.argmax[gi]]),
                now,
            )
        )
    upsert(
        RiskRollup,
        [
            "date",
            "kind",
            "code",
            "name",
            "unit",
            "score",
            "mean",
            "level",
            "n_kelurahan",
            "n_rendah",
            "n_sedang",
            "n_tinggi",
            "top_kelurahan",
            "computed_at",
        ],
        ["date", "kind", "code"],
        objs,
    )
    return len(objs)


# --- alerts -----------------------------------------------------------------------


def _cooldown() -> int:
    return int(_setting("SEJUK_RISK_ALERT_COOLDOWN_DAYS", 7))


def _top_contributions(contributions: dict[str, float], n: int = 3) -> dict[str, float]:
    items = sorted(
        ((k, v) for k, v in contributions.items() if k != "calendar"),
        key=lambda kv: -kv[1],
    )
    return dict(items[:n])


def raise_level_alerts(day: dt.date, terr: Territory) -> list[RiskAlert]:
    """Alert each kelurahan whose level on ``day`` is above its level the day before.

    The same situation alerts once: the key (kelurahan, day, level) is unique,
    and no new alert is raised while an alert for the same kelurahan at the
    same or a higher level is younger than the cool-down
    (``SEJUK_RISK_ALERT_COOLDOWN_DAYS``, 7 days), so a score that wobbles
    around a threshold does not alert every other day."""
    prev = dict(
        DailyRisk.objects.filter(terr.q(), date=day - dt.timedelta(days=1)).values_list(
            "kelurahan_id", "level"
        )
    )
    if not prev:
        return []
    rising = [
        r
        for r in DailyRisk.objects.filter(terr.q(), date=day)
        .exclude(level="rendah")
        .only("kelurahan_id", "level", "score", "contributions")
        if r.kelurahan_id in prev and LEVEL_ORDER[r.level] > LEVEL_ORDER[prev[r.kelurahan_id]]
    ]
    if not rising:
        return []
    since = day - dt.timedelta(days=_cooldown())
    recent: dict[str, int] = {}
    for kode, level in RiskAlert.objects.filter(
        kind=AlertKind.LEVEL_UP,
        kelurahan_id__in=[r.kelurahan_id for r in rising],
        date__gte=since,
        date__lte=day,
    ).values_list("kelurahan_id", "level"):
        recent[kode] = max(recent.get(kode, -1), LEVEL_ORDER.get(level, -1))
    raised = []
    for r in rising:
        if recent.get(r.kelurahan_id, -1) >= LEVEL_ORDER[r.level]:
            continue
        alert = _create_alert(
            kind=AlertKind.LEVEL_UP,
            kelurahan_id=r.kelurahan_id,
            date=day,
            level=r.level,
            previous_level=prev[r.kelurahan_id],
            score=r.score,
            detail={"top": _top_contributions(r.contributions)},
            dedupe_key=f"level:{r.kelurahan_id}:{day.isoformat()}:{r.level}",
        )
        if alert is not None:
            raised.append(alert)
    return raised


def _create_alert(**fields) -> RiskAlert | None:
    try:
        with transaction.atomic():
            alert = RiskAlert.objects.create(**fields)
    except IntegrityError:
        return None  # already raised (a second run or a second worker)
    notify_alert(alert)
    return alert


def alert_text(alert: RiskAlert, name: str) -> str:
    if alert.kind == AlertKind.LEVEL_UP:
        return _(
            "Risk alert: %(name)s moved up from %(prev)s to %(level)s (score %(score).1f) on %(date)s."
        ) % {
            "name": name,
            "prev": _level_label(alert.previous_level),
            "level": _level_label(alert.level),
            "score": alert.score or 0.0,
            "date": alert.date.strftime("%d-%m-%Y"),
        }
    return _("Forecast alert: %(name)s has a hotspot cell in the forecast for %(date)s.") % {
        "name": name,
        "date": alert.date.strftime("%d-%m-%Y"),
    }


def _level_label(level: str) -> str:
    from sejuk.risk.models import RiskLevel

    return str(RiskLevel(level).label) if level in RiskLevel.values else level


def recipients(kode: str, *, escalate: bool) -> list[int]:
    """Users told about an alert in ``kode``: its Bhabinkamtibmas, the Kapolsek and
    Polsek staff covering it, and (``escalate``) the Kapolres and Polres staff."""
    ancestors = [kode]
    while "." in ancestors[-1]:
        ancestors.append(ancestors[-1].rsplit(".", 1)[0])
    units = PoliceUnit.objects.filter(wilayah__kode__in=ancestors).values_list("pk", "kind")
    polsek = [pk for pk, kind in units if kind == UnitKind.POLSEK]
    polres = [pk for pk, kind in units if kind == UnitKind.POLRES]
    q = Q(role=Role.BHABINKAMTIBMAS, officer__kelurahan__kode=kode, officer__active=True)
    q |= Q(unit_id__in=polsek, role__in=(Role.KAPOLSEK, Role.POLSEK_STAFF))
    if escalate or not polsek:
        q |= Q(unit_id__in=polres, role__in=(Role.KAPOLRES, Role.POLRES_STAFF))
    return list(User.objects.filter(q, is_active=True).values_list("pk", flat=True).distinct())


def notify_alert(alert: RiskAlert) -> int:
    """In-app notifications for ``alert``, once per user (keyed; restart-safe)."""
    name = (
        Wilayah.objects.filter(kode=alert.kelurahan_id).values_list("nama", flat=True).first()
        or alert.kelurahan_id
    )
    escalate = alert.kind == AlertKind.FORECAST or alert.level == "tinggi"
    users = recipients(alert.kelurahan_id, escalate=escalate)
    # Stored text is read later by people in the default language (Indonesian).
    with translation.override(settings.LANGUAGE_CODE):
        text = alert_text(alert, f"{name} ({alert.kelurahan_id})")
    rows = [
        Notification(user_id=uid, kind="risk_alert", text=text, dedupe_key=f"risk:{alert.pk}:{uid}")
        for uid in users
    ]
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    RiskAlert.objects.filter(pk=alert.pk).update(notified=len(rows))
    alert.notified = len(rows)
    return len(rows)


def get_alert_for_user(user: User, pk: int) -> RiskAlert:
    alert = access.visible_alerts(user).filter(pk=pk).first()
    if alert is None:
        raise NotInScope(pk)
    return alert


def do_update_alert(user: User, alert: RiskAlert, status: str, note: str = "") -> RiskAlert:
    """Acknowledge or close an alert (or reopen it)."""
    if not access.can_handle_alert(user, alert):
        raise NotAllowed(_("Your role does not handle risk alerts."))
    if status not in AlertStatus.values:
        raise RiskError({"status": f"unknown status {status!r}"})
    with transaction.atomic():
        locked = RiskAlert.objects.select_for_update().get(pk=alert.pk)
        locked.status = status
        locked.handled_by = user
        locked.handled_at = timezone.now()
        if note:
            locked.note = note[:5000]
        locked.save(update_fields=["status", "handled_by", "handled_at", "note"])
    return locked


# --- forecast ---------------------------------------------------------------------


VERIFIED = (Status.VERIFIED, Status.IN_FOLLOW_UP, Status.HANDED_OFF, Status.RESOLVED)


def forecast_events(
    terr: Territory, as_of: dt.date, days: int
) -> list[tuple[str, dt.datetime, float, float]]:
    """(kelurahan, local time, lon, lat) of incidents and verified reports with a
    location in the ``days`` before ``as_of``."""
    start = timezone.make_aware(dt.datetime.combine(as_of - dt.timedelta(days=days), dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(as_of, dt.time.min))
    rows = list(
        Incident.objects.filter(
            terr.q(), occurred_at__gte=start, occurred_at__lt=end, lat__isnull=False
        ).values_list("kelurahan_id", "occurred_at", "lon", "lat")
    )
    rows += list(
        Report.objects.filter(
            terr.q(),
            received_at__gte=start,
            received_at__lt=end,
            status__in=VERIFIED,
            merged_into__isnull=True,
            lat__isnull=False,
            lon__isnull=False,
        ).values_list("kelurahan_id", "received_at", "lon", "lat")
    )
    # Forecasts work on local wall-clock days (see sejuk.analytics.forecast.events).
    return [(k, timezone.localtime(t).replace(tzinfo=None), x, y) for k, t, x, y in rows if k]


def run_forecast(as_of: dt.date, terr: Territory) -> tuple[list[RiskAlert], str]:
    """Rank grid cells for ``as_of`` per kab/kota (the area of a Polres) and alert the
    kelurahan whose cells enter the top share.

    Uses ``sejuk.analytics.forecast.fit_and_rank`` on incidents and verified
    reports; the study area is the kota's boundary when it is stored (else the
    cells that had events). Cells are mapped to kelurahan by their centre."""
    from sejuk.analytics.forecast import Events, ForecastError, SquareGrid, StudyArea, fit_and_rank
    from sejuk.territory.locate import locate_many

    history = int(_setting("SEJUK_RISK_FORECAST_HISTORY_DAYS", 365))
    min_events = int(_setting("SEJUK_RISK_FORECAST_MIN_EVENTS", 20))
    share = float(_setting("SEJUK_RISK_FORECAST_TOP_SHARE", 0.01))
    cell_m = float(_setting("SEJUK_RISK_FORECAST_CELL_M", 250))
    model = str(_setting("SEJUK_RISK_FORECAST_MODEL", "blend"))
    events = forecast_events(terr, as_of, history)
    by_kota: dict[str, list] = {}
    for row in events:
        by_kota.setdefault(row[0][:5], []).append(row)
    covered = set(terr.codes)
    raised: list[RiskAlert] = []
    ran = []
    for kota, rows in sorted(by_kota.items()):
        if len(rows) < min_events:
            continue
        ev = Events.from_records([(t, x, y) for _k, t, x, y in rows])
        grid = SquareGrid(cell_m).fit(ev.lon, ev.lat)
        geometry = Wilayah.objects.filter(kode=kota).values_list("geometry", flat=True).first()
        try:
            cells = StudyArea.from_geojson(grid, geometry) if geometry else grid
            ranking = fit_and_rank(ev, cells, as_of, horizon_days=1, model=model)
        except ForecastError as exc:
            log.warning("forecast for %s on %s skipped: %s", kota, as_of, exc)
            continue
        top = ranking.top(coverage=share)
        lon, lat = top.grid.centres_lonlat(top.keys)
        located = locate_many(list(lat), list(lon))
        with transaction.atomic():
            ForecastHotspot.objects.filter(as_of=as_of, scope=kota).delete()
            ForecastHotspot.objects.bulk_create(
                [
                    ForecastHotspot(
                        as_of=as_of,
                        cell=str(key),
                        rank=r + 1,
                        score=float(s),
                        lat=float(la),
                        lon=float(lo),
                        kelurahan_id=k,
                        model=ranking.model,
                        scope=kota,
                    )
                    for r, (key, s, la, lo, k) in enumerate(
                        zip(top.keys.tolist(), top.scores.tolist(), lat, lon, located, strict=True)
                    )
                ]
            )
        ran.append(f"{kota}:{len(top.keys)}/{ranking.n_cells}")
        previous = ForecastHotspot.objects.filter(as_of=as_of - dt.timedelta(days=1), scope=kota)
        if not previous.exists():
            # No forecast the day before: this one is the baseline, nothing "enters".
            continue
        before = set(
            previous.filter(kelurahan__isnull=False).values_list("kelurahan_id", flat=True)
        )
        entering = sorted({k for k in located if k and k in covered} - before)
        since = as_of - dt.timedelta(days=_cooldown())
        recent = set(
            RiskAlert.objects.filter(
                kind=AlertKind.FORECAST, kelurahan_id__in=entering, date__gte=since, date__lt=as_of
            ).values_list("kelurahan_id", flat=True)
        )
        for kode in entering:
            if kode in recent:
                continue
            cells = [
                {
                    "rank": r + 1,
                    "cell": str(key),
                    "lat": round(float(la), 6),
                    "lon": round(float(lo), 6),
                }
                for r, (key, la, lo, k) in enumerate(
                    zip(top.keys.tolist(), lat, lon, located, strict=True)
                )
                if k == kode
            ]
            alert = _create_alert(
                kind=AlertKind.FORECAST,
                kelurahan_id=kode,
                date=as_of,
                detail={"model": ranking.model, "share": share, "cells": cells[:10]},
                dedupe_key=f"forecast:{kode}:{as_of.isoformat()}",
            )
            if alert is not None:
                raised.append(alert)
    return raised, " ".join(ran) or "no area with enough events"


# --- assessments and incidents -------------------------------------------------------


def _kelurahan_in_scope(user: User, kode: str) -> Wilayah:
    w = Wilayah.objects.light().filter(kode=kode, level=Level.KELURAHAN).first()
    if w is None or not scope_for(user).covers(kode):
        raise NotInScope(kode)
    return w


def validate_answers(spec: IndexSpec, answers: dict) -> dict[str, int]:
    errors = {}
    out = {}
    known = {i.code for i in spec.indicators}
    for code in answers:
        if code not in known:
            errors[code] = f"unknown indicator {code!r} in {spec.version}"
    for ind in spec.indicators:
        value = answers.get(ind.code)
        if value is None or value == "":
            errors[ind.code] = _("Answer every indicator.")
            continue
        try:
            number = int(value)
        except (TypeError, ValueError):
            errors[ind.code] = f"{value!r} is not a number"
            continue
        if isinstance(value, float) and not value.is_integer():
            errors[ind.code] = f"{value!r} is not a whole number"
            continue
        if not 0 <= number <= spec.max_answer:
            errors[ind.code] = f"{number} is outside 0..{spec.max_answer}"
            continue
        out[ind.code] = number
    if errors:
        raise RiskError(errors)
    return out


def do_save_assessment(
    user: User,
    kode: str,
    period_start: dt.date,
    period_end: dt.date,
    answers: dict,
    notes: str = "",
) -> Assessment:
    """Store a new assessment (history is never overwritten) and refresh today's index."""
    w = _kelurahan_in_scope(user, kode)
    if not access.can_assess(user, kode):
        raise NotAllowed(_("Your role does not fill assessments."))
    if period_end < period_start:
        raise RiskError({"period_end": _("The period ends before it starts.")})
    if (period_end - period_start).days > 366:
        raise RiskError({"period_end": _("A period is at most one year.")})
    spec = current_spec()
    clean = validate_answers(spec, answers)
    a = Assessment.objects.create(
        kelurahan=w,
        period_start=period_start,
        period_end=period_end,
        spec_version=spec.version,
        answers=clean,
        notes=notes[:20_000],
        created_by=user,
    )
    transaction.on_commit(lambda: refresh_kelurahan(kode))
    return a


@dataclass
class IncidentInput:
    occurred_at: dt.datetime
    kind: str
    severity: int = 1
    kelurahan: str = ""
    lat: float | None = None
    lon: float | None = None
    source: str = IncidentSource.MANUAL
    description: str = ""
    report_ticket: str = ""


def do_record_incident(user: User, data: IncidentInput) -> Incident:
    """Record an incident; the kelurahan comes from the point when it is not given."""
    from sejuk.fieldwork.actions import check_point_in_kelurahan
    from sejuk.territory.locate import kelurahan_index

    errors: dict[str, str] = {}
    if data.kind not in IncidentKind.values:
        errors["kind"] = f"unknown kind {data.kind!r}"
    if data.severity not in (1, 2, 3):
        errors["severity"] = "severity is 1, 2 or 3"
    if data.source not in IncidentSource.values:
        errors["source"] = f"unknown source {data.source!r}"
    if (data.lat is None) != (data.lon is None):
        errors["lat"] = _("Give both latitude and longitude, or neither.")
    elif data.lat is not None and not (-90 <= data.lat <= 90 and -180 <= data.lon <= 180):
        errors["lat"] = "coordinates out of range"
    if timezone.is_naive(data.occurred_at):
        data.occurred_at = timezone.make_aware(data.occurred_at)
    if data.occurred_at > timezone.now() + dt.timedelta(minutes=5):
        errors["occurred_at"] = _("The time is in the future.")
    elif data.occurred_at.date() < DAY_MIN:
        errors["occurred_at"] = _("The time is before %(day)s.") % {"day": DAY_MIN}
    kode = data.kelurahan.strip()
    if not kode and data.lat is not None and "lat" not in errors:
        kode = kelurahan_index().locate(data.lat, data.lon) or ""
        if not kode:
            errors["kelurahan"] = _("The point is not inside a known kelurahan; choose one.")
    elif not kode:
        errors["kelurahan"] = _("Choose a kelurahan or give the location.")
    if errors:
        raise RiskError(errors)
    w = _kelurahan_in_scope(user, kode)
    if not access.can_record_incident(user, kode):
        raise NotAllowed(_("Your role does not record incidents."))
    if data.lat is not None and (problem := check_point_in_kelurahan(kode, data.lat, data.lon)):
        raise RiskError({"lat": problem})
    report = None
    if data.report_ticket:
        from sejuk.reports.access import visible_reports

        report = visible_reports(user).filter(ticket=data.report_ticket.strip().upper()).first()
        if report is None:
            raise RiskError({"report_ticket": _("No report with this ticket in your territory.")})
    incident = Incident.objects.create(
        kelurahan=w,
        occurred_at=data.occurred_at,
        kind=data.kind,
        severity=data.severity,
        lat=data.lat,
        lon=data.lon,
        source=data.source,
        description=data.description[:20_000],
        report=report,
        created_by=user,
    )
    transaction.on_commit(lambda: refresh_kelurahan(kode))
    return incident


def refresh_kelurahan(kode: str) -> None:
    """Recompute today's index of one kelurahan after an input changed (no alerts: the
    job raises them against the day before on its next run)."""
    try:
        compute_index(timezone.localdate(), (kode,), source="refresh", alerts=False, forecast=False)
    except Exception:  # a refresh must never fail the user's save
        log.exception("refreshing the risk index of %s failed", kode)

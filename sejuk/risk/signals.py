"""The inputs of the index for a set of kelurahan on one day, read from the other apps.

One small function per source, each a grouped or ranged query over an
index, returning plain rows; :func:`gather` turns them into the arrays
:class:`sejuk.analytics.riskindex.RiskIndex` scores. Values are "as known
now": a report verified later counts as verified when an old day is
recomputed, a titik rawan counts by its active period whenever it was
registered. docs/risk.md lists every signal and its weights.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from django.db.models import Max, Q
from django.utils import timezone

from sejuk.analytics.riskindex import IndexSpec, aggregate_events
from sejuk.core.forms import start_of_day
from sejuk.elections.models import Election
from sejuk.fieldwork.models import FieldComplaint, TitikRawan, Visit
from sejuk.reports.models import Report
from sejuk.risk.models import Assessment, Incident
from sejuk.territory.models import Level, PoliceUnit, Wilayah, kode_range

_EPOCH = dt.date(1970, 1, 1).toordinal()
# The event-based signals, in the order they are read; the other two
# (titik_rawan, coverage_gap) describe the state on the day.
EVENT_SIGNALS = ("incidents", "reports", "complaints", "provocation", "sara")
STATE_SIGNALS = ("titik_rawan", "coverage_gap")


def day_number(day: dt.date) -> int:
    return day.toordinal() - _EPOCH


def minimal_prefixes(codes: Iterable[str]) -> tuple[str, ...]:
    result: list[str] = []
    for code in sorted(set(codes), key=lambda c: (c.count("."), c)):
        if not any(code == p or code.startswith(p + ".") for p in result):
            result.append(code)
    return tuple(sorted(result))


def prefix_q(prefixes: tuple[str, ...] | None, field: str) -> Q:
    """Rows whose ``field`` (a kode) is one of ``prefixes`` or below one; None is everything."""
    if prefixes is None:
        return Q()
    q = Q(pk__in=[])
    for p in prefixes:
        low, high = kode_range(p)
        q |= Q(**{field: p}) | Q(**{f"{field}__gte": low, f"{field}__lt": high})
    return q


@dataclass(frozen=True)
class Territory:
    """The kelurahan one computation covers: ``prefixes`` (None = all) and their codes."""

    prefixes: tuple[str, ...] | None
    codes: list[str]
    label: str

    def q(self, field: str = "kelurahan_id") -> Q:
        return prefix_q(self.prefixes, field)

    def index(self) -> dict[str, int]:
        return {k: i for i, k in enumerate(self.codes)}


def served_prefixes() -> tuple[str, ...] | None:
    """The territory the police units in the database cover (None when there are none)."""
    codes = PoliceUnit.wilayah.through.objects.values_list("wilayah_id", flat=True).distinct()
    prefixes = minimal_prefixes(codes)
    return prefixes or None


def territory(prefixes: tuple[str, ...] | None, label: str = "") -> Territory:
    qs = Wilayah.objects.filter(level=Level.KELURAHAN)
    if prefixes is not None:
        qs = qs.filter(prefix_q(prefixes, "kode"))
    codes = list(qs.order_by("kode").values_list("kode", flat=True))
    return Territory(prefixes, codes, label or (",".join(prefixes) if prefixes else "all"))


def _window(day: dt.date, window_days: int) -> tuple[dt.datetime, dt.datetime]:
    return (
        start_of_day(day - dt.timedelta(days=window_days - 1)),
        start_of_day(day + dt.timedelta(days=1)),
    )


def _local_days(values: list[dt.datetime]) -> np.ndarray:
    return np.array([day_number(timezone.localdate(v)) for v in values], dtype=np.int64)


# --- one function per source --------------------------------------------------------


def incident_rows(t: Territory, start: dt.datetime, end: dt.datetime) -> list[tuple]:
    """(kelurahan, occurred_at, severity) of incidents in [start, end)."""
    return list(
        Incident.objects.filter(t.q(), occurred_at__gte=start, occurred_at__lt=end).values_list(
            "kelurahan_id", "occurred_at", "severity"
        )
    )


def report_rows(t: Territory, start: dt.datetime, end: dt.datetime) -> list[tuple]:
    """(kelurahan, received_at, category, status) of citizen reports in [start, end).

    A report merged into another counts once, through the case it joined."""
    return list(
        Report.objects.filter(
            t.q(), received_at__gte=start, received_at__lt=end, merged_into__isnull=True
        ).values_list("kelurahan_id", "received_at", "category", "status")
    )


def complaint_rows(t: Territory, start: dt.datetime, end: dt.datetime) -> list[tuple]:
    """(kelurahan, created_at, status) of complaints heard in the field in [start, end)."""
    return list(
        FieldComplaint.objects.filter(t.q(), created_at__gte=start, created_at__lt=end).values_list(
            "kelurahan_id", "created_at", "status"
        )
    )


def monitoring_rows(t: Territory, start: dt.datetime, end: dt.datetime) -> list[tuple]:
    """(kelurahan, posted_at, provocative, sara) of social-media posts about a kelurahan.

    Assumes sejuk.monitoring's ``Post`` (kelurahan, posted_at, provocative,
    sara, counted): only posts placed in a kelurahan count, and a copy its
    own author posted again (``counted=False``) adds nothing. The one place
    that knows the monitoring app's shape."""
    try:
        from sejuk.monitoring.models import Post
    except ImportError:  # the monitoring app is optional
        return []
    return list(
        Post.objects.filter(
            t.q(),
            posted_at__gte=start,
            posted_at__lt=end,
            counted=True,
        )
        .filter(Q(provocative=True) | Q(sara=True))
        .values_list("kelurahan_id", "posted_at", "provocative", "sara")
    )


def titik_rows(t: Territory, day: dt.date, cap_days: int) -> list[tuple]:
    """(kelurahan, vulnerability, last visit or None) of the titik rawan active on ``day``.

    Only visits in the last ``cap_days`` days are looked at: an older visit
    counts the same as none (a full gap)."""
    end = start_of_day(day + dt.timedelta(days=1))
    since = start_of_day(day - dt.timedelta(days=cap_days - 1))
    active = TitikRawan.objects.filter(t.q()).filter(
        Q(active_from__isnull=True) | Q(active_from__lte=day),
        Q(active_until__isnull=True) | Q(active_until__gte=day),
    )
    last = dict(
        Visit.objects.filter(
            prefix_q(t.prefixes, "titik__kelurahan_id"), checkin_at__gte=since, checkin_at__lt=end
        )
        .values("titik_id")
        .annotate(last=Max("checkin_at"))
        .order_by()
        .values_list("titik_id", "last")
    )
    return [
        (k, v, last.get(pk))
        for pk, k, v in active.values_list("pk", "kelurahan_id", "vulnerability")
    ]


def assessment_rows(t: Territory, day: dt.date, carry_days: int) -> dict[str, Assessment]:
    """The assessment that applies on ``day`` per kelurahan: the newest period that
    started by then and ended at most ``carry_days`` before; the newest entry wins."""
    qs = (
        Assessment.objects.filter(t.q())
        .filter(period_start__lte=day, period_end__gte=day - dt.timedelta(days=carry_days))
        .order_by("kelurahan_id", "-period_start", "-created_at", "-id")
        .only("pk", "kelurahan_id", "period_start", "period_end", "answers", "spec_version")
    )
    out: dict[str, Assessment] = {}
    for a in qs:
        out.setdefault(a.kelurahan_id, a)
    return out


def phases(codes: list[str], day: dt.date) -> np.ndarray:
    """The election phase of each kelurahan on ``day`` ("none" where no election covers it).

    Where several elections cover a kelurahan the most intense phase wins
    (voting > quiet > counting > campaign > before/after)."""
    rank = {
        "none": 0,
        "before": 1,
        "after": 1,
        "campaign": 2,
        "counting": 3,
        "quiet": 4,
        "voting": 5,
    }
    out = np.full(len(codes), "none", dtype=object)
    if not codes:
        return out
    arr = np.array(codes)
    for election in Election.objects.prefetch_related("wilayah"):
        phase = str(election.get_phase(day))
        covered = np.zeros(len(codes), dtype=bool)
        for w in election.wilayah.all():
            covered |= (arr == w.kode) | np.char.startswith(arr, w.kode + ".")
        better = covered & np.array([rank[phase] > rank[p] for p in out])
        out[better] = phase
    return out


# --- assembling ---------------------------------------------------------------------


@dataclass
class Gathered:
    """Arrays for the scorer plus what the explanation shows next to the points."""

    answers: np.ndarray
    signals: np.ndarray
    phase: np.ndarray
    counts: np.ndarray  # raw events in the window per signal (undecayed, unweighted)
    assessments: dict[str, Assessment] = field(default_factory=dict)
    titik: np.ndarray | None = None  # active titik per kelurahan
    stale: np.ndarray | None = None  # of which not visited within the cap


def gather(t: Territory, day: dt.date, spec: IndexSpec) -> Gathered:
    n = len(t.codes)
    index = t.index()
    sig_col = {s.code: i for i, s in enumerate(spec.signals)}
    start, end = _window(day, spec.window_days)
    kel: list[int] = []
    days: list[np.ndarray] = []
    cols: list[int] = []
    weights: list[float] = []

    def add(rows_kel: list[str], when: list[dt.datetime], signal: str, w: list[float]) -> None:
        if signal not in sig_col or not rows_kel:
            return
        kel.extend(index[k] for k in rows_kel)
        days.append(_local_days(when))
        cols.extend([sig_col[signal]] * len(rows_kel))
        weights.extend(w)

    severity = spec.weight_table("incident_severity")
    rows = [r for r in incident_rows(t, start, end) if r[0] in index]
    add(
        [r[0] for r in rows],
        [r[1] for r in rows],
        "incidents",
        [severity.get(str(r[2]), 1.0) for r in rows],
    )

    status_w = spec.weight_table("report_status")
    category_w = spec.weight_table("report_category")
    rows = [r for r in report_rows(t, start, end) if r[0] in index]
    add(
        [r[0] for r in rows],
        [r[1] for r in rows],
        "reports",
        [status_w.get(r[3], 0.0) * category_w.get(r[2], 1.0) for r in rows],
    )

    complaint_w = spec.weight_table("complaint_status")
    rows = [r for r in complaint_rows(t, start, end) if r[0] in index]
    add(
        [r[0] for r in rows],
        [r[1] for r in rows],
        "complaints",
        [complaint_w.get(r[2], 1.0) for r in rows],
    )

    rows = [r for r in monitoring_rows(t, start, end) if r[0] in index]
    prov = [r for r in rows if r[2]]
    sara = [r for r in rows if r[3]]
    add([r[0] for r in prov], [r[1] for r in prov], "provocation", [1.0] * len(prov))
    add([r[0] for r in sara], [r[1] for r in sara], "sara", [1.0] * len(sara))

    n_sig = len(spec.signals)
    as_of = day_number(day)
    if kel:
        k_arr = np.array(kel, dtype=np.int64)
        d_arr = np.concatenate(days)
        c_arr = np.array(cols, dtype=np.int64)
        signals = aggregate_events(
            k_arr,
            d_arr,
            c_arr,
            np.array(weights),
            as_of=as_of,
            n_kelurahan=n,
            n_signals=n_sig,
            window_days=spec.window_days,
            half_life_days=spec.half_life_days,
        )
        age = as_of - d_arr
        keep = (age >= 0) & (age < spec.window_days)
        counts = np.bincount(k_arr[keep] * n_sig + c_arr[keep], minlength=n * n_sig).reshape(
            n, n_sig
        )
    else:
        signals = np.zeros((n, n_sig))
        counts = np.zeros((n, n_sig), dtype=np.int64)

    # State on the day: active titik rawan and how long since each was visited.
    vuln = spec.weight_table("titik_vulnerability")
    cap = spec.coverage_cap_days
    titik_n = np.zeros(n, dtype=np.int64)
    stale_n = np.zeros(n, dtype=np.int64)
    for kode, vulnerability, last in titik_rows(t, day, cap):
        i = index.get(kode)
        if i is None:
            continue
        w = vuln.get(vulnerability, 1.0)
        gap = cap if last is None else min(cap, (day - timezone.localdate(last)).days)
        if "titik_rawan" in sig_col:
            signals[i, sig_col["titik_rawan"]] += w
        if "coverage_gap" in sig_col:
            signals[i, sig_col["coverage_gap"]] += w * gap / cap
        titik_n[i] += 1
        stale_n[i] += last is None
    if "titik_rawan" in sig_col:
        counts[:, sig_col["titik_rawan"]] = titik_n
    if "coverage_gap" in sig_col:
        counts[:, sig_col["coverage_gap"]] = stale_n

    indicators = spec.indicators
    answers = np.full((n, len(indicators)), np.nan)
    assessments = assessment_rows(t, day, spec.assessment_carry_days)
    a_max = spec.max_answer
    for kode, a in assessments.items():
        i = index.get(kode)
        if i is None:
            continue
        # Answers under another definition version count where the codes match.
        row = [a.answers.get(ind.code) for ind in indicators]
        answers[i] = [
            min(max(float(v), 0.0), a_max) if isinstance(v, int | float) else 0.0 for v in row
        ]
    return Gathered(
        answers=answers,
        signals=signals,
        phase=phases(t.codes, day),
        counts=counts,
        assessments=assessments,
        titik=titik_n,
        stale=stale_n,
    )

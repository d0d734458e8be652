"""Scoring: signal aggregation, the 0-100 score, its contributions, trends (no Django)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .errors import IndexInputError
from .spec import LEVELS, PHASES, IndexSpec

__all__ = [
    "Contribution",
    "IndexInputs",
    "IndexResult",
    "RiskIndex",
    "aggregate_events",
    "levels_of",
    "round_preserving_sum",
    "trend_slope",
]


def _as_2d(value, name: str, n_cols: int, *, allow_nan: bool) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise IndexInputError(f"{name} must be numbers ({exc})") from None
    if arr.ndim == 1 and n_cols == 0 and arr.size == 0:
        arr = arr.reshape(0, 0)
    if arr.ndim != 2 or arr.shape[1] != n_cols:
        raise IndexInputError(f"{name} must have shape (n, {n_cols}), got {arr.shape}")
    bad = np.isinf(arr) if allow_nan else ~np.isfinite(arr)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise IndexInputError(f"{name}[{row}, {col}] is {arr[row, col]!r}, not a finite number")
    return arr


@dataclass(frozen=True)
class IndexInputs:
    """What the scorer needs for ``n`` kelurahan on one day.

    Parameters
    ----------
    answers : array (n, n_indicators)
        Assessment answers in 0..a_max, in the order of ``spec.indicators``;
        NaN where a kelurahan has no assessment (or the indicator was skipped,
        which counts as 0).
    signals : array (n, n_signals)
        Live signal values (>= 0) in the order of ``spec.signals``.
    phase : str or sequence of str
        The election phase per kelurahan (one of :data:`PHASES`), or one phase
        for all.
    """

    answers: np.ndarray
    signals: np.ndarray
    phase: np.ndarray | str | Sequence[str]


@dataclass(frozen=True)
class Contribution:
    """One line of a score's explanation."""

    code: str
    kind: str  # "indicator", "signal" or "calendar"
    points: float
    value: float | None  # the answer, the signal value or the multiplier
    stage: str | None
    dimension: str | None


@dataclass(frozen=True)
class IndexResult:
    """Scores of ``n`` kelurahan with their contributions.

    Attributes
    ----------
    contributions : ndarray (n, n_components)
        Points per component (``spec.components``); each row sums to ``score``.
    score : ndarray (n,)
        Row sums of ``contributions``, in [0, 100].
    level : ndarray of int8 (n,)
        Index into :data:`LEVELS`.
    multiplier : ndarray (n,)
        The calendar multiplier applied.
    assessed : ndarray of bool (n,)
        Whether the kelurahan had an assessment.
    """

    spec: IndexSpec
    contributions: np.ndarray
    score: np.ndarray
    level: np.ndarray
    multiplier: np.ndarray
    assessed: np.ndarray
    answers: np.ndarray
    signals: np.ndarray

    def __len__(self) -> int:
        return len(self.score)

    def level_name(self, i: int) -> str:
        return LEVELS[int(self.level[i])]

    def explain(self, i: int) -> list[Contribution]:
        """Every contribution of kelurahan ``i``, in component order (zeros included)."""
        spec = self.spec
        out = []
        col = 0
        for ind in spec.indicators:
            answer = self.answers[i, col]
            out.append(
                Contribution(
                    code=ind.code,
                    kind="indicator",
                    points=float(self.contributions[i, col]),
                    value=None if np.isnan(answer) else float(answer),
                    stage=ind.stage,
                    dimension=ind.dimension,
                )
            )
            col += 1
        for k, sig in enumerate(spec.signals):
            out.append(
                Contribution(
                    code=sig.code,
                    kind="signal",
                    points=float(self.contributions[i, col]),
                    value=float(self.signals[i, k]),
                    stage=sig.stage,
                    dimension=None,
                )
            )
            col += 1
        out.append(
            Contribution(
                code="calendar",
                kind="calendar",
                points=float(self.contributions[i, col]),
                value=float(self.multiplier[i]),
                stage=None,
                dimension=None,
            )
        )
        return out

    def by_stage(self) -> dict[str, np.ndarray]:
        """Points per IPKP stage (indicators and signals) plus ``calendar``, each (n,)."""
        spec = self.spec
        out = {s.code: np.zeros(len(self)) for s in spec.stages}
        for col, code in enumerate(spec.components[:-1]):
            out[spec.stage_of(code)] += self.contributions[:, col]  # type: ignore[index]
        out["calendar"] = self.contributions[:, -1].copy()
        return out


def levels_of(score: np.ndarray, thresholds: tuple[float, float]) -> np.ndarray:
    """Level index (0 rendah, 1 sedang, 2 tinggi): a score at a threshold is in the upper level."""
    return np.searchsorted(np.asarray(thresholds, dtype=np.float64), score, side="right").astype(
        np.int8
    )


class RiskIndex:
    """The daily vulnerability index of a definition (:class:`IndexSpec`).

    Nothing is learned from data: the weights are the definition's. The class
    keeps the scikit-learn habit of storing its parameters in ``__init__`` and
    doing the work in a method.

    Parameters
    ----------
    spec : IndexSpec

    Examples
    --------
    >>> result = RiskIndex(spec).score(IndexInputs(answers, signals, "campaign"))  # doctest: +SKIP
    >>> result.score[0], result.explain(0)  # doctest: +SKIP
    """

    def __init__(self, spec: IndexSpec) -> None:
        self.spec = spec

    def score(self, inputs: IndexInputs) -> IndexResult:
        """Score every row of ``inputs``.

        Raises
        ------
        IndexInputError
            For shapes that do not match the definition, answers outside
            0..a_max, negative or non-finite signals, unknown phases.
        """
        spec = self.spec
        n_ind = len(spec.indicators)
        n_sig = len(spec.signals)
        answers = _as_2d(inputs.answers, "answers", n_ind, allow_nan=True)
        signals = _as_2d(inputs.signals, "signals", n_sig, allow_nan=False)
        n = answers.shape[0]
        if signals.shape[0] != n:
            raise IndexInputError(f"answers and signals differ in rows ({n}, {signals.shape[0]})")
        a_max = spec.max_answer
        bad = ~np.isnan(answers) & ((answers < 0) | (answers > a_max))
        if bad.any():
            row, col = np.argwhere(bad)[0]
            raise IndexInputError(
                f"answers[{row}, {col}] ({spec.indicators[col].code}) is {answers[row, col]!r}, "
                f"outside 0..{a_max}"
            )
        if (signals < 0).any():
            row, col = np.argwhere(signals < 0)[0]
            raise IndexInputError(
                f"signals[{row}, {col}] ({spec.signals[col].code}) is {signals[row, col]!r}, "
                "below 0"
            )
        multiplier = self._multipliers(inputs.phase, n)

        contributions = np.empty((n, n_ind + n_sig + 1), dtype=np.float64)
        points = spec.indicator_points()
        ind_points = np.array([points[i.code] for i in spec.indicators], dtype=np.float64)
        contributions[:, :n_ind] = np.nan_to_num(answers, nan=0.0) / a_max * ind_points
        weights = np.array([s.weight for s in spec.signals], dtype=np.float64)
        scales = np.array([s.scale for s in spec.signals], dtype=np.float64)
        # -expm1(-x) is 1 - exp(-x) without the cancellation for small x.
        contributions[:, n_ind : n_ind + n_sig] = weights * -np.expm1(-signals / scales)
        base = contributions[:, :-1].sum(axis=1)
        contributions[:, -1] = (multiplier - 1.0) * base
        score = contributions.sum(axis=1)
        return IndexResult(
            spec=spec,
            contributions=contributions,
            score=score,
            level=levels_of(score, spec.thresholds),
            multiplier=multiplier,
            assessed=~np.isnan(answers).all(axis=1) if n_ind else np.zeros(n, dtype=bool),
            answers=answers,
            signals=signals,
        )

    def _multipliers(self, phase, n: int) -> np.ndarray:
        calendar = self.spec.calendar
        if isinstance(phase, str):
            if phase not in calendar:
                raise IndexInputError(f"unknown phase {phase!r}; one of {', '.join(PHASES)}")
            return np.full(n, calendar[phase], dtype=np.float64)
        phases = np.asarray(phase, dtype=object).reshape(-1)
        if len(phases) != n:
            raise IndexInputError(f"phase has {len(phases)} values for {n} rows")
        uniq, inverse = np.unique(phases.astype(str), return_inverse=True)
        unknown = [p for p in uniq.tolist() if p not in calendar]
        if unknown:
            raise IndexInputError(f"unknown phase {unknown[0]!r}; one of {', '.join(PHASES)}")
        table = np.array([calendar[p] for p in uniq.tolist()], dtype=np.float64)
        return table[inverse.reshape(-1)] if n else np.empty(0)


def aggregate_events(
    kelurahan: np.ndarray,
    day: np.ndarray,
    signal: np.ndarray,
    weight: np.ndarray | None,
    *,
    as_of: int,
    n_kelurahan: int,
    n_signals: int,
    window_days: int,
    half_life_days: float,
) -> np.ndarray:
    """Decayed, weighted event counts per kelurahan and signal on day ``as_of``.

    An event of day ``d`` counts when ``as_of - window_days < d <= as_of``,
    with weight ``weight * 0.5 ** ((as_of - d) / half_life_days)``.

    Parameters
    ----------
    kelurahan : array of int (m,)
        Row index of each event's kelurahan, in ``0..n_kelurahan-1``.
    day : array of int (m,)
        Day number of each event (any consistent day count, e.g. days since 1970).
    signal : array of int (m,)
        Column index of each event's signal, in ``0..n_signals-1``.
    weight : array of float (m,) or None
        Non-negative weight per event (1 when None).
    as_of : int
    n_kelurahan, n_signals : int
    window_days : int
    half_life_days : float

    Returns
    -------
    ndarray (n_kelurahan, n_signals)
    """
    kel = np.asarray(kelurahan).reshape(-1)
    days = np.asarray(day).reshape(-1)
    sig = np.asarray(signal).reshape(-1)
    m = len(kel)
    if len(days) != m or len(sig) != m or (weight is not None and len(weight) != m):
        raise IndexInputError("kelurahan, day, signal and weight differ in length")
    if window_days < 1 or not half_life_days > 0:
        raise IndexInputError("window_days must be >= 1 and half_life_days > 0")
    if m and (kel.min() < 0 or kel.max() >= n_kelurahan):
        raise IndexInputError(f"kelurahan index outside 0..{n_kelurahan - 1}")
    if m and (sig.min() < 0 or sig.max() >= n_signals):
        raise IndexInputError(f"signal index outside 0..{n_signals - 1}")
    # int32 keeps the 10M-event arrays small; day numbers and ages fit easily.
    age = (np.int64(as_of) - days).astype(np.int32, copy=False)
    keep = (age >= 0) & (age < window_days)
    decay = 0.5 ** (np.arange(window_days, dtype=np.float64) / half_life_days)
    w = decay[age[keep]]
    if weight is not None:
        wt = np.asarray(weight, dtype=np.float64).reshape(-1)[keep]
        if len(wt) and (not np.isfinite(wt).all() or wt.min() < 0):
            raise IndexInputError("event weights must be finite and >= 0")
        w = w * wt
    flat = kel[keep].astype(np.int64) * n_signals + sig[keep]
    counts = np.bincount(flat, weights=w, minlength=n_kelurahan * n_signals)
    return counts.reshape(n_kelurahan, n_signals)


def trend_slope(history: np.ndarray, days: Sequence[float] | np.ndarray) -> np.ndarray:
    """Least-squares slope (points per day) of each row of ``history`` over ``days``.

    NaN entries are missing days; a row with fewer than two values gives NaN.
    """
    h = np.asarray(history, dtype=np.float64)
    x = np.asarray(days, dtype=np.float64).reshape(1, -1)
    if h.ndim != 2 or h.shape[1] != x.shape[1]:
        raise IndexInputError(f"history must have shape (n, {x.shape[1]}), got {h.shape}")
    present = ~np.isnan(h)
    y = np.where(present, h, 0.0)
    xs = np.where(present, x, 0.0)
    cnt = present.sum(axis=1)
    sx = xs.sum(axis=1)
    sy = y.sum(axis=1)
    sxx = (xs * xs).sum(axis=1)
    sxy = (xs * y).sum(axis=1)
    den = cnt * sxx - sx * sx
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = (cnt * sxy - sx * sy) / den
    return np.where((cnt >= 2) & (den > 0), slope, np.nan)


def round_preserving_sum(values: Sequence[float], decimals: int = 1) -> list[float]:
    """Round non-negative ``values`` so that the rounded parts add up to the rounded total.

    Largest-remainder rounding: shown contributions then sum to the shown score.
    """
    scale = 10**decimals
    scaled = np.asarray(values, dtype=np.float64) * scale
    if len(scaled) == 0:
        return []
    target = int(round(float(scaled.sum())))
    floors = np.floor(scaled + 1e-9)
    short = target - int(floors.sum())
    if short > 0:
        order = np.argsort(-(scaled - floors), kind="stable")
        floors[order[:short]] += 1
    elif short < 0:
        order = np.argsort(scaled - floors, kind="stable")
        floors[order[:-short]] -= 1
    return [float(v) / scale for v in floors]

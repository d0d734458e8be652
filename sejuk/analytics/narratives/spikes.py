"""Spikes of provocative or SARA posts about an area, against its own baseline.

The rule (documented in docs/monitoring.md, thresholds editable by analysts):

* ``observed``: flagged posts about the area in the last ``window_hours``
  (the window ends at ``now``);
* ``expected``: the area's own rate over the ``baseline_days`` before that
  window, scaled to the window length (flagged posts per window);
* the count is treated as Poisson with mean ``lam = max(expected, min_expected)``
  (the floor keeps a quiet area from alerting on one or two posts);
* a **spike** is ``observed >= min_count`` and ``observed >= ratio * lam`` and
  ``P(X >= observed | lam) < alpha``.

Every clause has a reason: ``min_count`` because a handful of posts is not a
wave; ``ratio`` because for a busy area a statistically significant rise can
still be small; the Poisson tail because a quiet area doubling from 0.5 to 1
is noise while 0 to 8 is not.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import asdict, dataclass

from scipy.stats import poisson

__all__ = ["Spike", "SpikeRule", "detect_spikes", "volume_trend"]


@dataclass(frozen=True)
class SpikeRule:
    """Thresholds of the spike rule (see the module docstring)."""

    window_hours: int = 6
    baseline_days: int = 14
    min_count: int = 5
    ratio: float = 3.0
    alpha: float = 0.001
    min_expected: float = 0.5

    def __post_init__(self) -> None:
        if not 1 <= self.window_hours <= 24 * 7:
            raise ValueError("window_hours must be between 1 and 168")
        if not 1 <= self.baseline_days <= 90:
            raise ValueError("baseline_days must be between 1 and 90")
        if self.min_count < 1:
            raise ValueError("min_count must be at least 1")
        if self.ratio < 1.0:
            raise ValueError("ratio must be at least 1")
        if not 0.0 < self.alpha < 0.5:
            raise ValueError("alpha must be in (0, 0.5)")
        if self.min_expected <= 0.0:
            raise ValueError("min_expected must be positive")

    @property
    def window(self) -> dt.timedelta:
        return dt.timedelta(hours=self.window_hours)

    @property
    def baseline(self) -> dt.timedelta:
        return dt.timedelta(days=self.baseline_days)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Spike:
    area: str
    kind: str
    observed: int
    expected: float
    p_value: float
    window_start: dt.datetime
    window_end: dt.datetime

    def as_dict(self) -> dict:
        d = asdict(self)
        d["window_start"] = self.window_start.isoformat()
        d["window_end"] = self.window_end.isoformat()
        return d


def evaluate_window(
    observed: int, baseline_count: int, rule: SpikeRule
) -> tuple[bool, float, float]:
    """(is a spike, expected count, p-value) for one area and window."""
    expected = baseline_count * rule.window_hours / (rule.baseline_days * 24)
    lam = max(expected, rule.min_expected)
    p = float(poisson.sf(observed - 1, lam)) if observed > 0 else 1.0
    spike = observed >= rule.min_count and observed >= rule.ratio * lam and p < rule.alpha
    return spike, expected, p


def detect_spikes(
    hourly: Mapping[str, Mapping[dt.datetime, int]],
    now: dt.datetime,
    rule: SpikeRule | None = None,
    kind: str = "",
) -> list[Spike]:
    """Areas whose flagged volume spikes at ``now``.

    Parameters
    ----------
    hourly : mapping area -> {hour start: count}
        Flagged posts per area and hour (timezone-aware hour starts). A bucket
        belongs to the window when its start is in ``[now - window, now)``,
        to the baseline when in the ``baseline_days`` before; others are
        ignored. Give ``now`` on an hour boundary for exact windows.
    now : datetime
        End of the window (timezone-aware).
    rule : SpikeRule
    kind : str
        Copied into each :class:`Spike` (``"provocation"``, ``"sara"``).

    Returns
    -------
    list of Spike, the most significant first.
    """
    rule = rule or SpikeRule()
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    start = now - rule.window
    base_start = start - rule.baseline
    out = []
    for area, buckets in hourly.items():
        observed = sum(c for h, c in buckets.items() if start <= h < now)
        baseline = sum(c for h, c in buckets.items() if base_start <= h < start)
        spike, expected, p = evaluate_window(observed, baseline, rule)
        if spike:
            out.append(Spike(area, kind, observed, round(expected, 3), p, start, now))
    out.sort(key=lambda s: (s.p_value, -s.observed, s.area))
    return out


def volume_trend(counts: list[int]) -> dict:
    """Direction of a volume series (oldest first, e.g. posts per day).

    Compares the last bucket with the mean of the ones before it: ``rising``
    when at least 1.5 times as high (and at least 3), ``falling`` when at most
    half, else ``stable``; ``new`` when there is no earlier activity.
    """
    if not counts:
        return {"direction": "stable", "last": 0, "previous_mean": 0.0}
    last = counts[-1]
    before = counts[:-1]
    mean = sum(before) / len(before) if before else 0.0
    if mean == 0:
        direction = "new" if last else "stable"
    elif last >= 1.5 * mean and last >= 3:
        direction = "rising"
    elif last <= 0.5 * mean:
        direction = "falling"
    else:
        direction = "stable"
    return {"direction": direction, "last": last, "previous_mean": round(mean, 2)}

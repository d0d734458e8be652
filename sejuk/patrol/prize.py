"""How much a visit to a titik rawan is worth on a given day (no Django imports).

    prize = risk x staleness x category weight

* **risk**: the titik's vulnerability level (rendah 1, sedang 2, tinggi 3). When the
  risk index gives its kelurahan a score in [0, 1], the level is scaled by
  ``0.5 + score``: a quiet kelurahan halves its points' risk, the riskiest one makes
  them 1.5 times as risky. ``risk_of`` is the one place to change this.
* **staleness**: ``(days since the last visit + 1) / N`` where N is the revisit
  period (default 7 days), capped at ``STALENESS_CAP``; a point never visited gets the
  cap. A point visited today is worth 1/N of a due one; a point whose last visit was
  N or more days before the plan's day is *overdue* and becomes must-visit when the
  shift allows.
* **category weight**: campaign posts and TPS weigh most in the election season,
  offices least (``CATEGORY_WEIGHT``).

A scheduled event at a point adds ``risk_of(event importance) x EVENT_WEIGHT`` to its
prize, independent of staleness: being there during the rally is what matters.
"""

from __future__ import annotations

LEVEL_RISK: dict[str, float] = {"rendah": 1.0, "sedang": 2.0, "tinggi": 3.0}
CATEGORY_WEIGHT: dict[str, float] = {
    "campaign": 1.5,
    "tps": 1.5,
    "crowd": 1.3,
    "market": 1.2,
    "meeting": 1.0,
    "worship": 1.0,
    "other": 1.0,
    "office": 0.8,
}
STALENESS_CAP = 3.0
EVENT_WEIGHT = 3.0
DEFAULT_REVISIT_DAYS = 7


def risk_of(level: str, kelurahan_score: float | None = None) -> float:
    """The risk of a point: its level, scaled by its kelurahan's risk score if known.

    Parameters
    ----------
    level : {"rendah", "sedang", "tinggi"}
        The titik rawan's vulnerability level.
    kelurahan_score : float in [0, 1], optional
        The risk index of the point's kelurahan for the day, when the index exists.
    """
    try:
        base = LEVEL_RISK[level]
    except KeyError:
        raise ValueError(
            f"unknown vulnerability level {level!r}; use {sorted(LEVEL_RISK)}"
        ) from None
    if kelurahan_score is None:
        return base
    if not 0.0 <= kelurahan_score <= 1.0:
        raise ValueError(f"kelurahan risk score {kelurahan_score} is outside [0, 1]")
    return base * (0.5 + kelurahan_score)


def staleness(days_since: int | None, revisit_days: int = DEFAULT_REVISIT_DAYS) -> float:
    """``(days_since + 1) / revisit_days`` capped at ``STALENESS_CAP``; never visited -> cap."""
    if revisit_days < 1:
        raise ValueError(f"revisit_days must be at least 1, not {revisit_days}")
    if days_since is None:
        return STALENESS_CAP
    if days_since < 0:
        raise ValueError(f"days_since is negative ({days_since}): a visit after the plan's day?")
    return min(STALENESS_CAP, (days_since + 1) / revisit_days)


def is_overdue(days_since: int | None, revisit_days: int = DEFAULT_REVISIT_DAYS) -> bool:
    """True when the point must be visited on the day to keep the N-day rhythm."""
    return days_since is None or days_since >= revisit_days


def category_weight(category: str) -> float:
    return CATEGORY_WEIGHT.get(category, 1.0)


def titik_prize(
    level: str,
    category: str,
    days_since: int | None,
    *,
    revisit_days: int = DEFAULT_REVISIT_DAYS,
    kelurahan_score: float | None = None,
) -> float:
    """prize = risk x staleness x category weight (see the module docstring)."""
    return (
        risk_of(level, kelurahan_score)
        * staleness(days_since, revisit_days)
        * category_weight(category)
    )


def event_prize(importance: str, kelurahan_score: float | None = None) -> float:
    """What being at a scheduled event is worth, on top of the point's own prize."""
    return risk_of(importance, kelurahan_score) * EVENT_WEIGHT

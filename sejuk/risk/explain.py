"""Turn a stored day's row into the explanation people read (pages and API).

Every component of the definition is listed, zeros included, grouped as the
assessment (by IKP dimension), the live signals and the calendar. Points are
shown with one decimal, rounded so that the shown parts add up to the shown
score (largest remainder); the exact values are kept next to them.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from sejuk.analytics.riskindex import IndexSpec, round_preserving_sum
from sejuk.elections.models import Phase
from sejuk.risk.indicators import component_labels, current_spec, label, spec_for_version
from sejuk.risk.models import DailyRisk, RiskLevel


def phase_label(phase: str) -> str:
    if phase in Phase.values:
        return str(Phase(phase).label)
    return _("no election")


def level_label(level: str) -> str:
    return str(RiskLevel(level).label) if level in RiskLevel.values else level


def explain(row: DailyRisk) -> dict[str, Any]:
    spec: IndexSpec = spec_for_version(row.spec_version) or current_spec()
    contributions: dict[str, float] = dict(row.contributions or {})
    inputs = row.inputs or {}
    answers = inputs.get("answers", {})
    signals = inputs.get("signals", {})
    counts = inputs.get("counts", {})
    stages = {s.code: label(s.label) for s in spec.stages}
    answer_labels = [label(a) for a in spec.answers]
    points_max = spec.indicator_points()

    order = [*spec.components]
    # Codes stored under a definition we can no longer read still count and show.
    order += [c for c in contributions if c not in order]
    shown = dict(
        zip(order, round_preserving_sum([contributions.get(c, 0.0) for c in order], 1), strict=True)
    )

    dimensions = []
    for d in spec.dimensions:
        lines = []
        for ind in d.indicators:
            value = answers.get(ind.code, 0 if row.assessed else None)
            lines.append(
                {
                    "code": ind.code,
                    "label": label(ind.label),
                    "stage": stages.get(ind.stage, ind.stage),
                    "stage_code": ind.stage,
                    "answer": value,
                    "answer_label": answer_labels[value] if value is not None else "",
                    "points": contributions.get(ind.code, 0.0),
                    "shown": shown.get(ind.code, 0.0),
                    "max": round(points_max[ind.code], 2),
                }
            )
        dimensions.append(
            {
                "code": d.code,
                "label": label(d.label),
                "weight": d.weight,
                "lines": lines,
                "points": sum(x["points"] for x in lines),
                "shown": round(sum(x["shown"] for x in lines), 1),
            }
        )
    signal_lines = [
        {
            "code": s.code,
            "label": label(s.label),
            "unit": label(s.unit) if s.unit else "",
            "stage": stages.get(s.stage, s.stage),
            "stage_code": s.stage,
            "value": signals.get(s.code, 0.0),
            "count": counts.get(s.code, 0),
            "points": contributions.get(s.code, 0.0),
            "shown": shown.get(s.code, 0.0),
            "max": s.weight,
        }
        for s in spec.signals
    ]
    unknown = [
        {"code": c, "label": c, "points": contributions[c], "shown": shown[c]}
        for c in order
        if c not in spec.components
    ]
    multiplier = spec.calendar.get(row.phase, 1.0)
    return {
        "spec": spec,
        "version": row.spec_version,
        "score": row.score,
        "score_shown": round(sum(shown.values()), 1),
        "level": row.level,
        "level_label": level_label(row.level),
        "assessed": row.assessed,
        "assessment_id": inputs.get("assessment"),
        "dimensions": dimensions,
        "static_shown": round(sum(d["shown"] for d in dimensions), 1),
        "signals": signal_lines,
        "signals_shown": round(sum(x["shown"] for x in signal_lines), 1),
        "unknown": unknown,
        "calendar": {
            "phase": row.phase,
            "label": phase_label(row.phase),
            "multiplier": multiplier,
            "points": contributions.get("calendar", 0.0),
            "shown": shown.get("calendar", 0.0),
        },
        "thresholds": spec.thresholds,
    }


def top_reasons(row: DailyRisk, n: int = 2) -> list[str]:
    """Labels of the largest contributions (not the calendar), for lists."""
    spec = spec_for_version(row.spec_version) or current_spec()
    labels = component_labels(spec)
    items = sorted(
        ((c, p) for c, p in (row.contributions or {}).items() if c != "calendar" and p > 0),
        key=lambda cp: -cp[1],
    )
    return [labels.get(c, c) for c, _p in items[:n]]

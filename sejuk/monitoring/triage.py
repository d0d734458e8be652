"""The text model as the urgency classifier of citizen reports.

Enable with ``SEJUK_TRIAGE_CLASSIFIER=sejuk.monitoring.triage.classify``
(docs/monitoring.md). sejuk.reports.triage calls ``classify(text, category)``
after its own rules and may only *raise* urgency. A report is urgent when the
model reads it as SARA hate speech, or as strong hate speech (the Ibrohim &
Budi scale weak / moderate / strong). Without a model the answer is the
rules' own, so enabling the hook before the first training changes nothing.
"""

from __future__ import annotations

from sejuk.monitoring import classifier
from sejuk.monitoring.models import MonitoringSettings

URGENT_STRONG = 0.5


def classify(text: str, category: str) -> dict:
    """``{"urgency", "score", "reason", "category"}`` for a report's text."""
    from sejuk.reports.triage import rules

    s = MonitoringSettings.current()
    results = classifier.classify_texts([text or ""], s.provocation_threshold, s.sara_threshold)
    if not results:
        fallback = rules(text, category)
        return {
            "urgency": str(fallback.urgency),
            "score": None,
            "reason": f"rules (no text model): {fallback.reason}",
            "category": None,
        }
    c = results[0]
    hate = c.scores.get("hate_speech", 0.0)
    sara = classifier.sara_score(c.scores)
    strong = c.scores.get("hs_strong", 0.0)
    suggested = "sara" if c.sara else ("provocation" if c.provocative else None)
    if c.sara and c.provocative:
        return {
            "urgency": "urgent",
            "score": round(min(hate, sara), 3),
            "reason": f"text model: SARA hate speech (hate {hate:.2f}, SARA {sara:.2f})",
            "category": suggested,
        }
    if c.provocative and strong >= URGENT_STRONG:
        return {
            "urgency": "urgent",
            "score": round(strong, 3),
            "reason": f"text model: strong hate speech ({strong:.2f})",
            "category": suggested,
        }
    return {
        "urgency": "normal",
        "score": round(hate, 3),
        "reason": f"text model: hate {hate:.2f}, SARA {sara:.2f}",
        "category": suggested,
    }

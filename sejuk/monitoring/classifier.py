"""The text classifier of the live model directory, loaded once per process.

``settings.SEJUK_MODEL_DIR / "textclass"`` holds the model trained by
``sejuk nlp train`` (sejuk.analytics.textclass). It is loaded on first use and
kept; when the directory changes (a new model was saved, its modification
time moves) the next call loads the new one. Without a model every helper
answers None and callers fall back (posts stay unclassified, triage keeps its
rules), so nothing breaks before the first training.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sejuk.nlp.actions import model_dir

log = logging.getLogger(__name__)

_lock = threading.Lock()
_cache: tuple[tuple | None, object | None] = (None, None)


def _version(path: Path) -> tuple | None:
    try:
        stamps = [path.stat().st_mtime_ns] + [p.stat().st_mtime_ns for p in path.iterdir()]
    except OSError:
        return None
    return (str(path), max(stamps))


def get_classifier():
    """The loaded TextClassifier, or None when there is no usable model."""
    global _cache
    path = model_dir()
    version = _version(path)
    if version is None:
        return None
    cached_version, clf = _cache
    if clf is not None and cached_version == version:
        return clf
    with _lock:
        cached_version, clf = _cache
        if clf is not None and cached_version == version:
            return clf
        try:
            from sejuk.analytics.textclass import ModelNotFound, TextClassifier
        except ImportError:
            return None
        try:
            clf = TextClassifier.load(path)
        except ModelNotFound:
            return None
        except Exception:  # noqa: BLE001 - a broken model file must not break ingestion
            log.exception("could not load the text classifier from %s", path)
            return None
        _cache = (version, clf)
        return clf


def reset_cache() -> None:
    global _cache
    _cache = (None, None)


@dataclass(frozen=True)
class Classified:
    scores: dict[str, float]
    provocative: bool
    sara: bool
    labels: list[str]


def sara_score(scores: dict[str, float]) -> float:
    """SARA: the model's ``sara`` label, else hate speech about religion or race."""
    if "sara" in scores:
        return float(scores["sara"])
    return max(float(scores.get("hs_religion", 0.0)), float(scores.get("hs_race", 0.0)))


def classify_texts(
    texts: Sequence[str], provocation_threshold: float = 0.5, sara_threshold: float = 0.5
) -> list[Classified] | None:
    """Scores and flags for each text in one batch call; None without a model."""
    clf = get_classifier()
    if clf is None:
        return None
    if not texts:
        return []
    out = []
    # Labels use the model's own per-label thresholds (tuned on held-out data);
    # the two flags use the analyst's thresholds (MonitoringSettings).
    for scores, labels in clf.predict(list(texts)):
        scores = {k: round(float(v), 4) for k, v in scores.items()}
        provocative = scores.get("hate_speech", 0.0) >= provocation_threshold
        sara = sara_score(scores) >= sara_threshold
        out.append(Classified(scores, provocative, sara, sorted(labels)))
    return out

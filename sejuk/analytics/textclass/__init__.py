"""Indonesian text classifier: hate speech, abusive language, SARA, target, strength.

No Django here. Typical use::

    from sejuk.analytics.textclass import TextClassifier, ModelNotFound
    clf = TextClassifier.load(model_dir)          # ModelNotFound if not trained yet
    for scores, labels in clf.predict(["Dasar cebong goblok!"]):
        ...                                       # scores: {label: probability}

Public API
----------
LABELS
    Label names, the column order of every score matrix (see :data:`LABEL_DESCRIPTIONS`).
normalize
    Normalise an Indonesian post (escapes, placeholders, slang, letter runs, numbers).
TextClassifier
    The multi-label model: ``fit``, ``predict_proba``, ``predict``, ``save``, ``load``.
train_model, ensure_model
    Train on ibrohim2019 (tuning thresholds on held-out data); load-or-train-and-cache.
load_ibrohim
    Read the corpus (Latin-1 CSV, 13 labels).
evaluate_folds, evaluate_holdout, evaluate_posts, measure_classify
    The evaluation protocols behind ``sejuk nlp evaluate``.
ModelNotFound, ModelError, DataError
    Missing model (a ``FileNotFoundError``); unusable model; unreadable data (file:line).
"""

from __future__ import annotations

from .data import LABEL_DESCRIPTIONS, LABELS, Corpus, deduplicate, load_fold, load_ibrohim
from .errors import DataError, ModelError, ModelNotFound
from .model import Progress, TextClassifier
from .normalize import Normalizer, load_slang, normalize
from .speed import measure_classify
from .training import (
    ensure_model,
    evaluate_folds,
    evaluate_holdout,
    evaluate_posts,
    political_posts,
    train_model,
)

__all__ = [
    "LABELS",
    "LABEL_DESCRIPTIONS",
    "Corpus",
    "DataError",
    "ModelError",
    "ModelNotFound",
    "Normalizer",
    "Progress",
    "TextClassifier",
    "deduplicate",
    "ensure_model",
    "evaluate_folds",
    "evaluate_holdout",
    "evaluate_posts",
    "load_fold",
    "load_ibrohim",
    "load_slang",
    "measure_classify",
    "normalize",
    "political_posts",
    "train_model",
]

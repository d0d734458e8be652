"""The multi-label classifier and its on-disk format.

Per label, two logistic regressions over shared TF-IDF features
(:mod:`.features`) -- one on the features as they are (class-balanced), one on
the features scaled by their naive-Bayes log-count ratio (NB-LR) -- averaged in
logit space into a single weight vector. Logistic regression gives usable
probabilities without a separate calibration step, trains in about a second
per label, and predicts with one sparse matrix product, so a single core
classifies thousands of posts a second.

A model directory holds plain data only, so loading it never runs code from
the directory (no pickle):

``card.json``        model card: data source, licence, hyperparameters, metrics
``thresholds.json``  decision threshold per label (tuned on held-out data; editable)
``features.json``    n-gram parameters and term lists
``slang.json``       the normalisation dictionary the model was trained with
``weights.npz``      IDF, block offsets, coefficients and intercepts (``allow_pickle=False``)
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression

from .data import LABELS
from .errors import ModelError, ModelNotFound
from .features import NgramFeaturizer
from .normalize import Normalizer

TARGET_LABELS = ("hs_individual", "hs_group")
STRENGTH_LABELS = ("hs_weak", "hs_moderate", "hs_strong")
CATEGORY_LABELS = ("hs_religion", "hs_race", "hs_physical", "hs_gender", "hs_other")

FORMAT = "sejuk-textclass"
FORMAT_VERSION = 1
MODEL_FILES: tuple[str, ...] = (
    "card.json",
    "thresholds.json",
    "features.json",
    "slang.json",
    "weights.npz",
)

#: ``progress(step, total, message)``: called as training advances.
Progress = Callable[[int, int, str], None]


def _check_texts(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        raise TypeError("texts must be a list of strings, not one string")
    out = list(texts)
    for i, text in enumerate(out):
        if not isinstance(text, str):
            raise TypeError(f"texts[{i}] is {type(text).__name__}, not str")
    return out


class TextClassifier:
    """Multi-label classifier of Indonesian posts (hate speech, abusive, SARA, ...).

    Parameters
    ----------
    C : float
        Inverse L2 regularisation strength of each logistic regression.
    word_ngrams, char_ngrams : (int, int)
        n-gram ranges of the features (see :class:`~.features.NgramFeaturizer`).
    min_df : int
        Minimum document frequency of a kept n-gram.
    class_weight : {"balanced", None}
        Class weights of the plain logistic-regression head.
    nb_weight : float
        Share of the NB-LR head in each label's logit average (0: plain logistic
        regression only).
    labels : sequence of str
        Labels to learn, a subset of :data:`LABELS` (default: all).
    slang : mapping of str to str, optional
        Normalisation dictionary (e.g. :func:`~.normalize.load_slang` of the
        corpus' ``new_kamusalay.csv``); stored with the model.
    random_state : int
        Seed of the solver's shuffling; the same data and seed give the same model.

    Attributes
    ----------
    labels_ : tuple of str
    normalizer_ : Normalizer
    featurizer_ : NgramFeaturizer
    coef_ : ndarray of shape (n_labels, n_features)
    intercept_ : ndarray of shape (n_labels,)
    thresholds : dict of str to float
        Decision threshold per label; 0.5 until tuned (see ``train_model``).
    card : dict
        Model card (hyperparameters, training data, metrics).
    """

    def __init__(
        self,
        *,
        C: float = 2.0,
        word_ngrams: tuple[int, int] = (1, 2),
        char_ngrams: tuple[int, int] = (2, 5),
        min_df: int = 2,
        class_weight: str | None = "balanced",
        nb_weight: float = 0.5,
        labels: Sequence[str] = LABELS,
        slang: dict[str, str] | None = None,
        random_state: int = 0,
    ):
        self.C = C
        self.class_weight = class_weight
        self.nb_weight = nb_weight
        self.word_ngrams = word_ngrams
        self.char_ngrams = char_ngrams
        self.min_df = min_df
        self.labels = labels
        self.slang = slang
        self.random_state = random_state
        self.thresholds: dict[str, float] = {}
        self.card: dict[str, Any] = {}

    # -- training ------------------------------------------------------------------------

    def get_params(self) -> dict[str, Any]:
        return {
            "C": self.C,
            "word_ngrams": list(self.word_ngrams),
            "char_ngrams": list(self.char_ngrams),
            "min_df": self.min_df,
            "class_weight": self.class_weight,
            "nb_weight": self.nb_weight,
            "labels": list(self.labels),
            "random_state": self.random_state,
        }

    def fit(
        self, texts: Sequence[str], y: np.ndarray, *, progress: Progress | None = None
    ) -> TextClassifier:
        """Learn from raw texts and a 0/1 matrix with one column per label in ``labels``.

        A label with only one class in ``y`` gets a constant model (its base rate).
        """
        texts = _check_texts(texts)
        unknown = [name for name in self.labels if name not in LABELS]
        if unknown:
            raise ValueError(f"unknown label(s) {unknown}; known: {', '.join(LABELS)}")
        y = np.asarray(y)
        if y.ndim != 2 or y.shape != (len(texts), len(self.labels)):
            raise ValueError(
                f"y must have shape ({len(texts)}, {len(self.labels)}) for labels "
                f"{list(self.labels)}, got {y.shape}"
            )
        if not len(texts):
            raise ValueError("cannot fit on zero texts")
        started = time.perf_counter()
        total = len(self.labels) + 1
        report = progress or (lambda step, total, message: None)
        report(0, total, f"normalising and featurising {len(texts)} texts")
        self.labels_ = tuple(self.labels)
        self.normalizer_ = Normalizer(self.slang)
        docs = [self.normalizer_.views(t) for t in texts]
        self.featurizer_ = NgramFeaturizer(
            word_ngrams=tuple(self.word_ngrams),
            char_ngrams=tuple(self.char_ngrams),
            min_df=self.min_df,
        )
        X = self.featurizer_.fit_transform(docs)
        binary = X.copy()
        binary.data[:] = 1.0
        coef = np.zeros((len(self.labels_), X.shape[1]), dtype=np.float64)
        intercept = np.zeros(len(self.labels_), dtype=np.float64)
        for j, name in enumerate(self.labels_):
            report(j + 1, total, f"fitting {name}")
            target = y[:, j].astype(int)
            rate = float(target.mean())
            if rate in (0.0, 1.0):
                # One class only (a small slice): predict the base rate, clipped off 0/1.
                p = min(max(rate, 1e-3), 1 - 1e-3)
                intercept[j] = np.log(p / (1 - p))
                continue
            coef[j], intercept[j] = self._fit_label(X, binary, target)
        report(total, total, "done")
        self.coef_ = coef.astype(np.float32)
        self.intercept_ = intercept.astype(np.float32)
        self.thresholds = {name: 0.5 for name in self.labels_}
        self.card = {
            "hyperparameters": self.get_params(),
            "n_train": len(texts),
            "n_features": int(X.shape[1]),
            "fit_seconds": round(time.perf_counter() - started, 2),
        }
        return self

    def _logistic(self, C: float, class_weight: str | None) -> LogisticRegression:
        # The dual problem: far more features than texts, so liblinear converges ~7x
        # faster than on the primal, to the same solution.
        return LogisticRegression(
            C=C,
            solver="liblinear",
            dual=True,
            max_iter=2000,
            class_weight=class_weight,
            random_state=self.random_state,
        )

    def _fit_label(self, X: Any, binary: Any, target: np.ndarray) -> tuple[np.ndarray, float]:
        """Weights and intercept of one label: the logit average of two linear heads.

        Head A is a logistic regression on the TF-IDF features. Head B is the same on
        features scaled by their naive-Bayes log-count ratio (NB-LR, Wang & Manning
        2012), which trusts the words that separate the classes in this corpus and
        adds about a point of F1 on abusive language. Both are linear in X, so their
        logit average is one weight vector: prediction costs one dot product.
        """
        head_a = self._logistic(self.C, self.class_weight).fit(X, target)
        if self.nb_weight <= 0:
            return head_a.coef_[0], float(head_a.intercept_[0])
        positive = np.asarray(binary[target == 1].sum(axis=0)).ravel() + 1.0
        negative = np.asarray(binary[target == 0].sum(axis=0)).ravel() + 1.0
        ratio = np.log((positive / positive.sum()) / (negative / negative.sum()))
        head_b = self._logistic(self.C, None).fit(X @ sp.diags(ratio), target)
        w = self.nb_weight
        coef = (1 - w) * head_a.coef_[0] + w * ratio * head_b.coef_[0]
        intercept = (1 - w) * head_a.intercept_[0] + w * head_b.intercept_[0]
        return coef, float(intercept)

    # -- prediction ----------------------------------------------------------------------

    def _check_fitted(self) -> None:
        if not hasattr(self, "coef_"):
            raise ModelError("this TextClassifier is not fitted; call fit() or load()")

    def proba_matrix(self, texts: Sequence[str]) -> np.ndarray:
        """Probabilities as an array of shape ``(len(texts), len(labels_))``."""
        self._check_fitted()
        texts = _check_texts(texts)
        if not texts:
            return np.zeros((0, len(self.labels_)))
        X = self.featurizer_.transform([self.normalizer_.views(t) for t in texts])
        z = np.asarray(X @ self.coef_.T, dtype=np.float64) + self.intercept_
        return 1.0 / (1.0 + np.exp(-z))

    def predict_proba(self, texts: Sequence[str]) -> list[dict[str, float]]:
        """One ``{label: probability}`` dict per text, with every label of the model."""
        matrix = self.proba_matrix(texts)
        names = self.labels_
        return [
            {name: round(float(p), 6) for name, p in zip(names, row, strict=True)} for row in matrix
        ]

    def predict(self, texts: Sequence[str]) -> list[tuple[dict[str, float], list[str]]]:
        """``(scores, labels)`` per text: the labels at or above their threshold, made consistent.

        The corpus' labels form a hierarchy, and the list keeps to it: ``hs_*``
        and ``sara`` only come with ``hate_speech``; a hate-speech post gets
        exactly one target (``hs_individual`` or ``hs_group``) and one strength
        (``hs_weak``, ``hs_moderate`` or ``hs_strong``), the one whose score is
        furthest above (or least below) its threshold; at least one category
        (``hs_religion`` ... ``hs_other``); and ``sara`` exactly when
        ``hs_religion`` or ``hs_race`` is in the list. Scores are left as they are.
        """
        return [(scores, self.labels_for(scores)) for scores in self.predict_proba(texts)]

    def labels_for(self, scores: dict[str, float]) -> list[str]:
        """The consistent label list for one score dict (see :meth:`predict`)."""
        have = set(self.labels_)
        threshold = {n: max(self.thresholds.get(n, 0.5), 1e-6) for n in self.labels_}
        above = {n for n in self.labels_ if scores[n] >= threshold[n]}

        def best(names: Sequence[str]) -> str:
            return max(names, key=lambda n: scores[n] / threshold[n])

        chosen = above & {"abusive"}
        if "hate_speech" in have and "hate_speech" not in above:
            return [n for n in self.labels_ if n in chosen]
        chosen |= above & {"hate_speech"}
        for group in (TARGET_LABELS, STRENGTH_LABELS):
            present = [n for n in group if n in have]
            if present:
                chosen.add(best(present))
        categories = [n for n in CATEGORY_LABELS if n in have]
        picked = above & set(categories)
        sara_parts = [n for n in ("hs_religion", "hs_race") if n in have]
        if "sara" in above and sara_parts and not picked & set(sara_parts):
            picked.add(best(sara_parts))
        if categories and not picked:
            picked.add(best(categories))
        chosen |= picked
        if picked & {"hs_religion", "hs_race"} or ("sara" in above and not sara_parts):
            chosen.add("sara")
        return [n for n in self.labels_ if n in chosen]

    def normalize(self, text: str) -> str:
        """The text as this model sees it (with the model's slang dictionary)."""
        self._check_fitted()
        return self.normalizer_(text)

    # -- persistence ---------------------------------------------------------------------

    def save(self, model_dir: str | os.PathLike[str]) -> Path:
        """Write the model to ``model_dir`` atomically (a reader sees the old or the new one).

        Returns the directory.
        """
        self._check_fitted()
        target = Path(model_dir)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        try:
            meta, arrays = self.featurizer_.state()
            card = dict(self.card)
            card.update(
                {
                    "format": FORMAT,
                    "format_version": FORMAT_VERSION,
                    "labels": list(self.labels_),
                    "hyperparameters": self.get_params(),
                    "thresholds": dict(self.thresholds),
                }
            )
            _write_json(tmp / "card.json", card, indent=2)
            _write_json(tmp / "thresholds.json", dict(self.thresholds), indent=2)
            _write_json(tmp / "features.json", meta)
            _write_json(tmp / "slang.json", self.normalizer_.slang)
            np.savez(
                tmp / "weights.npz",
                idf=arrays["idf"],
                offsets=arrays["offsets"],
                coef=self.coef_,
                intercept=self.intercept_,
            )
            old = None
            if target.exists():
                old = target.parent / f".{target.name}.old-{os.getpid()}"
                target.rename(old)
            tmp.rename(target)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        self.card = card
        return target

    @classmethod
    def load(cls, model_dir: str | os.PathLike[str]) -> TextClassifier:
        """Load a model written by :meth:`save`.

        Raises
        ------
        ModelNotFound
            The directory or one of its files is missing.
        ModelError
            A file is corrupt or of another format version.
        """
        path = Path(model_dir)
        if not path.is_dir():
            raise ModelNotFound(
                f"no text classifier model at {path}; train one with `sejuk nlp train --out {path}`"
            )
        missing = [name for name in MODEL_FILES if not (path / name).is_file()]
        if missing:
            raise ModelNotFound(
                f"{path} is not a complete model (missing {', '.join(missing)}); "
                f"train one with `sejuk nlp train --out {path}`"
            )
        card = _read_json(path / "card.json", want_object=True)
        if card.get("format") != FORMAT or card.get("format_version") != FORMAT_VERSION:
            raise ModelError(
                f"{path / 'card.json'}: format {card.get('format')!r} version "
                f"{card.get('format_version')!r}, expected {FORMAT!r} version {FORMAT_VERSION}; "
                "retrain with `sejuk nlp train`"
            )
        params = card.get("hyperparameters", {})
        try:
            self = cls(
                C=float(params["C"]),
                word_ngrams=tuple(params["word_ngrams"]),
                char_ngrams=tuple(params["char_ngrams"]),
                min_df=int(params["min_df"]),
                class_weight=params.get("class_weight"),
                nb_weight=float(params.get("nb_weight", 0.0)),
                labels=tuple(card["labels"]),
                random_state=int(params["random_state"]),
            )
            labels = tuple(card["labels"])
            slang = _read_json(path / "slang.json", want_object=True)
            self.slang = slang
            if not all(isinstance(v, str) for v in slang.values()):
                raise ValueError("slang.json must map words to strings")
            # The stored dictionary already includes the fallback of its day: use it as is.
            self.normalizer_ = Normalizer(slang, fallback=False)
            with np.load(path / "weights.npz", allow_pickle=False) as weights:
                arrays = {name: weights[name] for name in weights.files}
            self.featurizer_ = NgramFeaturizer.from_state(
                _read_json(path / "features.json"), arrays
            )
            self.coef_ = np.asarray(arrays["coef"], dtype=np.float32)
            self.intercept_ = np.asarray(arrays["intercept"], dtype=np.float32)
            thresholds = _read_json(path / "thresholds.json", want_object=True)
        except ModelError:
            raise
        except (KeyError, TypeError, ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
            raise ModelError(f"{path}: corrupt model ({type(exc).__name__}: {exc})") from None
        if self.coef_.shape != (len(labels), self.featurizer_.n_features_) or (
            self.intercept_.shape != (len(labels),)
        ):
            raise ModelError(f"{path / 'weights.npz'}: weights do not match the features")
        bad = [
            n
            for n in labels
            if not isinstance(thresholds.get(n), int | float) or not 0 <= thresholds[n] <= 1
        ]
        if bad:
            raise ModelError(
                f"{path / 'thresholds.json'}: need a number in [0, 1] for {', '.join(bad)}"
            )
        self.labels_ = labels
        self.thresholds = {n: float(thresholds[n]) for n in labels}
        self.card = card
        return self


def _write_json(path: Path, value: Any, indent: int | None = None) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(value, fh, ensure_ascii=False, indent=indent)
        fh.write("\n")


def _read_json(path: Path, *, want_object: bool = False) -> Any:
    """The JSON in ``path`` (a JSON object if ``want_object``), or a ModelError."""
    try:
        with open(path, encoding="utf-8") as fh:
            value = json.load(fh)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{path}: unreadable ({exc})") from None
    if want_object and not isinstance(value, dict):
        raise ModelError(f"{path}: corrupt model (expected a JSON object)")
    return value

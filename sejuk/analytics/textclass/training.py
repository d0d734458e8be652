"""Training, threshold tuning and evaluation protocols.

``train_model``
    Deduplicates the corpus, holds out a stratified 20% to tune one decision
    threshold per label and measure the model, then refits on everything with
    those thresholds. The metrics go into the model card.
``evaluate_folds``
    The HS1 protocol of the IndoBERTweet paper on its five published folds:
    per fold, fit on ``train``, tune the hate-speech threshold on ``dev``, refit
    on ``train + dev`` and score ``test`` (positive-class F1, the paper's metric).
``evaluate_holdout``
    The train-time protocol on its own: per-label metrics on the held-out 20%.
``evaluate_posts``
    Hand-written Indonesian political posts (not from the corpus) with the labels
    we expect, to check that the model generalises beyond its corpus' quirks.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import platform
import time
from collections.abc import Iterator, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from .data import (
    CORPUS_LICENCE,
    CORPUS_SOURCE,
    FOLDS_SOURCE,
    LABEL_DESCRIPTIONS,
    LABELS,
    SLANG_FILE,
    Corpus,
    corpus_dir,
    deduplicate,
    load_fold,
    load_ibrohim,
)
from .errors import DataError, ModelError, ModelNotFound
from .model import Progress, TextClassifier
from .normalize import load_slang

HOLDOUT_FRACTION = 0.2
MIN_TRAINING_TEXTS = 10  # enough for a held-out part and a training part
# Published positive-class F1 for HS on the five folds (IndoBERTweet paper, mean of 5).
PUBLISHED_FOLD_F1 = {"mBERT": 0.851, "IndoBERT": 0.868, "IndoBERTweet": 0.884}
TARGETS = {
    "hate_speech_fold_f1_mean": 0.86,
    "abusive_holdout_macro_f1": 0.92,
    "posts_per_second_one_core": 2000,
}


# -- metrics ---------------------------------------------------------------------------


def f1_score(y: np.ndarray, pred: np.ndarray) -> float:
    """Positive-class F1 (0 when there are no positives and none predicted)."""
    tp = int(np.sum((y == 1) & (pred == 1)))
    fp = int(np.sum((y == 0) & (pred == 1)))
    fn = int(np.sum((y == 1) & (pred == 0)))
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0


def binary_metrics(y: np.ndarray, proba: np.ndarray, threshold: float) -> dict[str, Any]:
    """F1 of the positive class, macro-F1 over both classes, precision, recall, AUC."""
    y = np.asarray(y).astype(int)
    pred = (np.asarray(proba) >= threshold).astype(int)
    tp = int(np.sum((y == 1) & (pred == 1)))
    out: dict[str, Any] = {
        "f1": round(f1_score(y, pred), 4),
        "macro_f1": round((f1_score(y, pred) + f1_score(1 - y, 1 - pred)) / 2, 4),
        "precision": round(tp / max(int(pred.sum()), 1), 4),
        "recall": round(tp / max(int(y.sum()), 1), 4),
        "threshold": round(float(threshold), 3),
        "positives": int(y.sum()),
        "n": len(y),
    }
    if 0 < y.sum() < len(y):
        out["roc_auc"] = round(float(roc_auc_score(y, proba)), 4)
    return out


def heldout_metrics(
    y: np.ndarray, proba: np.ndarray, threshold: float, seed: int
) -> dict[str, Any]:
    """Metrics on held-out data whose threshold was tuned on that same data.

    The headline figures are *cross-tuned*: the held-out set is cut in two
    halves, each half scored with the threshold tuned on the other, so no
    prediction is judged by a threshold that saw its label. The figures at the
    threshold tuned on all of it (the one the model keeps) are optimistic and
    given as ``at_tuned_threshold``; ``at_0_5`` needs no tuning at all.
    """
    y = np.asarray(y).astype(int)
    rng = np.random.default_rng(seed)
    half = np.zeros(len(y), dtype=bool)
    for cls in (0, 1):  # stratified halves
        members = rng.permutation(np.flatnonzero(y == cls))
        half[members[: len(members) // 2]] = True
    cross = np.zeros(len(y), dtype=int)
    for part in (half, ~half):
        t = tune_threshold(y[~part], proba[~part])
        cross[part] = (proba[part] >= t).astype(int)
    out = binary_metrics(y, proba, threshold)
    tp = int(np.sum((y == 1) & (cross == 1)))
    cross_tuned = {
        "f1": round(f1_score(y, cross), 4),
        "macro_f1": round((f1_score(y, cross) + f1_score(1 - y, 1 - cross)) / 2, 4),
        "precision": round(tp / max(int(cross.sum()), 1), 4),
        "recall": round(tp / max(int(y.sum()), 1), 4),
    }
    at_half = binary_metrics(y, proba, 0.5)
    return {
        **cross_tuned,
        "threshold": out["threshold"],
        "positives": out["positives"],
        "n": out["n"],
        **({"roc_auc": out["roc_auc"]} if "roc_auc" in out else {}),
        "at_tuned_threshold": {k: out[k] for k in ("f1", "macro_f1", "precision", "recall")},
        "at_0_5": {k: at_half[k] for k in ("f1", "macro_f1", "precision", "recall")},
    }


def tune_threshold(y: np.ndarray, proba: np.ndarray) -> float:
    """The threshold in [0.05, 0.95] that maximises positive-class F1.

    Ties go to the one nearest 0.5; with no positive example the answer is 0.5.
    """
    y = np.asarray(y).astype(int)
    if y.sum() == 0:
        return 0.5
    grid = np.round(np.arange(0.05, 0.951, 0.01), 2)
    scores = np.array([f1_score(y, (proba >= t).astype(int)) for t in grid])
    best = np.flatnonzero(scores >= scores.max() - 1e-12)
    return float(grid[best[np.argmin(np.abs(grid[best] - 0.5))]])


# -- training --------------------------------------------------------------------------


def _stratified_split(corpus: Corpus, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of (train, held-out), stratified on (hate speech, abusive)."""
    index = np.arange(len(corpus))
    strata = corpus.label("hate_speech") * 2 + corpus.label("abusive")
    counts = np.bincount(strata, minlength=4)
    classes = int((counts > 0).sum())
    # scikit-learn can stratify only if each part has room for one row of every stratum.
    n_held = int(np.ceil(fraction * len(index)))
    can_stratify = counts[counts > 0].min() >= 2 and min(n_held, len(index) - n_held) >= classes
    stratify = strata if can_stratify else None
    train, held = train_test_split(index, test_size=fraction, random_state=seed, stratify=stratify)
    return np.sort(train), np.sort(held)


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _sub_progress(progress: Progress | None, offset: int, total: int) -> Progress | None:
    if progress is None:
        return None

    def report(step: int, _total: int, message: str) -> None:
        progress(offset + step, total, message)

    return report


def load_corpus_slang(data_dir: str | Path) -> dict[str, str]:
    """The corpus' alay dictionary, or an empty one (fallback only) if it is absent."""
    path = corpus_dir(data_dir) / SLANG_FILE
    return load_slang(path) if path.is_file() else {}


def train_model(
    data_dir: str | Path,
    *,
    seed: int = 0,
    limit: int | None = None,
    progress: Progress | None = None,
    holdout: float = HOLDOUT_FRACTION,
    refit: bool = True,
    **params: Any,
) -> TextClassifier:
    """Train the classifier on ibrohim2019 and fill in its model card.

    Parameters
    ----------
    data_dir : path
        The ibrohim2019 folder or the data root above it (``../shared/data``).
    seed : int
        Seeds the held-out split and the solver: the same seed gives the same model.
    limit : int, optional
        Use only the first ``limit`` rows of the corpus (tests).
    progress : callable, optional
        ``progress(step, total, message)``, called as training advances.
    holdout : float
        Share of the deduplicated corpus held out to tune thresholds and measure.
    refit : bool
        Refit on the whole corpus after tuning (default). ``False`` keeps the
        model fitted on the training part: half the time, slightly weaker.
    **params
        Hyperparameters of :class:`TextClassifier` (``C``, ``char_ngrams``, ...).

    Returns
    -------
    TextClassifier
        Fitted, with tuned ``thresholds`` and a ``card``; not yet saved.
    """
    started = time.perf_counter()
    corpus = load_ibrohim(data_dir, limit=limit)
    source = Path(corpus.source)
    slang = load_corpus_slang(data_dir)
    unique = deduplicate(corpus)
    if len(unique) < MIN_TRAINING_TEXTS:
        raise DataError(
            f"{source}: {len(unique)} distinct text(s); training needs at least {MIN_TRAINING_TEXTS}"
        )
    train_idx, held_idx = _stratified_split(unique, holdout, seed)
    train, held = unique.subset(train_idx), unique.subset(held_idx)
    steps_per_fit = len(params.get("labels", LABELS)) + 1
    total = steps_per_fit * (2 if refit else 1)

    model = TextClassifier(slang=slang, random_state=seed, **params)
    labels = tuple(model.labels)
    columns = [LABELS.index(n) for n in labels]
    model.fit(train.texts, train.y[:, columns], progress=_sub_progress(progress, 0, total))
    proba = model.proba_matrix(held.texts)
    thresholds = {
        n: tune_threshold(held.y[:, c], proba[:, j])
        for j, (n, c) in enumerate(zip(labels, columns, strict=True))
    }
    metrics = {
        n: heldout_metrics(held.y[:, c], proba[:, j], thresholds[n], seed)
        for j, (n, c) in enumerate(zip(labels, columns, strict=True))
    }
    if refit:
        model = TextClassifier(slang=slang, random_state=seed, **params)
        model.fit(
            unique.texts,
            unique.y[:, columns],
            progress=_sub_progress(progress, steps_per_fit, total),
        )
    model.thresholds = thresholds
    seconds = time.perf_counter() - started
    model.card = {
        **model.card,
        "name": "sejuk-textclass",
        "description": (
            "Multi-label classifier of Indonesian social-media posts: hate speech, abusive "
            "language, SARA, target and strength. Per label, the logit average of a "
            "class-balanced logistic regression and an NB-LR over TF-IDF word (1-2) and "
            "character (2-5) n-grams of the cleaned and of the normalised text."
        ),
        "label_descriptions": {n: LABEL_DESCRIPTIONS[n] for n in labels},
        "data": {
            "source": CORPUS_SOURCE,
            "licence": CORPUS_LICENCE,
            "file": source.name,
            "sha256": _file_sha256(source),
            "rows": len(corpus),
            "rows_after_deduplication": len(unique),
            "limit": limit,
            "slang_dictionary_entries": len(slang),
        },
        "training": {
            "seed": seed,
            "holdout_fraction": holdout,
            "n_train_for_thresholds": len(train),
            "n_heldout": len(held),
            "refit_on_all": refit,
            "seconds": round(seconds, 1),
            "trained_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
            "python": platform.python_version(),
            "scikit_learn": sklearn.__version__,
            "numpy": np.__version__,
        },
        "metrics": {
            "heldout": metrics,
            "protocol": (
                f"deduplicated corpus, stratified (HS x Abusive) {int(holdout * 100)}% held out "
                f"with seed {seed}; per-label thresholds tuned on it for max F1; headline figures "
                "cross-tuned (each half of the held-out set scored with the threshold tuned on "
                "the other half)"
            ),
        },
        "targets": TARGETS,
        "caveats": [
            "Trained on 2018-2019 Indonesian Twitter; slang, names and topics drift.",
            "USER/URL/RT placeholders, @handles, links and the corpus' escape artefacts are "
            "removed before features are computed, so they carry no signal.",
            f"Corpus licence {CORPUS_LICENCE}: the model is a derivative; non-commercial use.",
        ],
    }
    return model


# -- ensure_model (the demo's first run) -----------------------------------------------


@contextlib.contextmanager
def _lock(model_dir: Path) -> Iterator[None]:
    model_dir.parent.mkdir(parents=True, exist_ok=True)
    with open(model_dir.parent / f".{model_dir.name}.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def ensure_model(
    data_dir: str | Path,
    model_dir: str | Path,
    *,
    seed: int = 0,
    progress: Progress | None = None,
    **train_kwargs: Any,
) -> TextClassifier:
    """Load the model at ``model_dir``, training and saving it first if it is missing.

    Two processes that call this at once train it once: the second waits on a
    lock next to the directory, then loads what the first saved. A model that
    exists but is corrupt or of an older format is retrained too.
    """
    model_dir = Path(model_dir)
    try:
        return TextClassifier.load(model_dir)
    except (ModelNotFound, ModelError):
        pass
    with _lock(model_dir):
        try:
            return TextClassifier.load(model_dir)
        except (ModelNotFound, ModelError):
            model = train_model(data_dir, seed=seed, progress=progress, **train_kwargs)
            model.save(model_dir)
            return model


# -- evaluation ------------------------------------------------------------------------


def evaluate_folds(
    data_dir: str | Path,
    *,
    seed: int = 0,
    folds: Sequence[int] = range(5),
    limit: int | None = None,
    progress: Progress | None = None,
    **params: Any,
) -> dict[str, Any]:
    """Hate-speech F1 on the IndoBERTweet folds (train only on each fold's train + dev).

    ``limit`` keeps the first rows of each part (tests); the published figures use all.
    """
    slang = load_corpus_slang(data_dir)
    results = []
    folds = list(folds)
    column = LABELS.index("hate_speech")
    for n, k in enumerate(folds):
        started = time.perf_counter()
        if progress:
            progress(n, len(folds), f"fold {k}")
        train, dev, test = (load_fold(data_dir, k, part) for part in ("train", "dev", "test"))
        if limit is not None:
            train, dev, test = (c.subset(range(min(limit, len(c)))) for c in (train, dev, test))
        kwargs = {"labels": ("hate_speech",), **params}
        first = TextClassifier(slang=slang, random_state=seed, **kwargs)
        first.fit(train.texts, train.y[:, [column]])
        threshold = tune_threshold(dev.y[:, column], first.proba_matrix(dev.texts)[:, 0])
        model = TextClassifier(slang=slang, random_state=seed, **kwargs)
        model.fit(train.texts + dev.texts, np.vstack([train.y, dev.y])[:, [column]])
        proba = model.proba_matrix(test.texts)[:, 0]
        seen = set(train.texts) | set(dev.texts)
        unseen = np.array([t not in seen for t in test.texts])
        results.append(
            {
                "fold": k,
                "tuned": binary_metrics(test.y[:, column], proba, threshold),
                "at_0_5": binary_metrics(test.y[:, column], proba, 0.5),
                # The published folds share some texts between train and test; F1 without them:
                "f1_unseen_texts_only": round(
                    f1_score(test.y[unseen, column], (proba[unseen] >= threshold).astype(int)), 4
                ),
                "test_texts_also_in_train": int((~unseen).sum()),
                "seconds": round(time.perf_counter() - started, 1),
            }
        )
    if progress:
        progress(len(folds), len(folds), "folds done")
    f1s = [r["tuned"]["f1"] for r in results]
    return {
        "protocol": (
            "IndoBERTweet HS1 folds: fit on train, tune threshold on dev, refit on train+dev, "
            "positive-class F1 on test"
        ),
        "source": FOLDS_SOURCE,
        "folds": results,
        "f1_mean": round(float(np.mean(f1s)), 4),
        "f1_std": round(float(np.std(f1s)), 4),
        "f1_at_0_5_mean": round(float(np.mean([r["at_0_5"]["f1"] for r in results])), 4),
        "macro_f1_mean": round(float(np.mean([r["tuned"]["macro_f1"] for r in results])), 4),
        "published": PUBLISHED_FOLD_F1,
        "target": TARGETS["hate_speech_fold_f1_mean"],
        "limit": limit,
    }


def evaluate_holdout(
    data_dir: str | Path,
    *,
    seed: int = 0,
    limit: int | None = None,
    progress: Progress | None = None,
    **params: Any,
) -> tuple[dict[str, Any], TextClassifier]:
    """Per-label metrics on the stratified held-out split of the deduplicated corpus.

    Returns the metrics and the model fitted on the training part (not refitted),
    which the caller may reuse for :func:`evaluate_posts` and :func:`measure_throughput`.
    """
    model = train_model(data_dir, seed=seed, limit=limit, progress=progress, refit=False, **params)
    heldout = model.card["metrics"]["heldout"]
    result = {
        "protocol": model.card["metrics"]["protocol"],
        "labels": heldout,
        "abusive_macro_f1": heldout.get("abusive", {}).get("macro_f1"),
        "hate_speech_f1": heldout.get("hate_speech", {}).get("f1"),
        "target_abusive_macro_f1": TARGETS["abusive_holdout_macro_f1"],
    }
    return result, model


def political_posts() -> list[dict[str, Any]]:
    """The hand-written Indonesian political posts shipped with the library."""
    text = resources.files(__package__).joinpath("posts.json").read_text(encoding="utf-8")
    posts = json.loads(text)
    for post in posts:
        if not isinstance(post.get("text"), str) or not isinstance(post.get("expect"), dict):
            raise DataError(f"posts.json: bad entry {post!r}")
    return posts


def evaluate_posts(model: TextClassifier) -> dict[str, Any]:
    """Agreement with the expected labels of :func:`political_posts`.

    Each post states, for some labels, whether it should be flagged; accuracy
    per label counts the posts that state it. Wrong ones are listed.
    """
    posts = political_posts()
    predicted = model.predict([p["text"] for p in posts])
    per_label: dict[str, list[int]] = {}
    wrong = []
    for post, (scores, labels) in zip(posts, predicted, strict=True):
        for name, expected in post["expect"].items():
            if name not in model.labels_:
                continue
            ok = (name in labels) == bool(expected)
            per_label.setdefault(name, []).append(int(ok))
            if not ok:
                wrong.append(
                    {
                        "id": post["id"],
                        "label": name,
                        "expected": bool(expected),
                        "score": scores[name],
                    }
                )
    return {
        "posts": len(posts),
        "accuracy": {n: round(float(np.mean(v)), 4) for n, v in sorted(per_label.items())},
        "checks": int(sum(len(v) for v in per_label.values())),
        "correct": int(sum(sum(v) for v in per_label.values())),
        "wrong": wrong,
    }

"""How often the nearest archived claim carries the right verdict.

The question a user asks of a match is "is this the hoax we already know?".
:func:`evaluate` answers it on held-out data: the archive is split (stratified
by verdict), the matcher is fitted on the training part, and for every
held-out text the verdict of its top-1 neighbour is compared with the text's
own label. Precision and recall are reported per verdict, next to the
majority-class baseline. With ``min_score`` set, texts whose best neighbour
scores lower get no verdict (they count against recall, not precision).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from .archive import VERDICTS, Claim
from .matcher import ClaimMatcher

__all__ = ["Evaluation", "VerdictScores", "cross_validate", "evaluate", "split"]


@dataclass(frozen=True)
class VerdictScores:
    precision: float | None
    recall: float | None
    f1: float | None
    support: int
    predicted: int


@dataclass
class Evaluation:
    """Top-1 verdict scores on one held-out split."""

    n_train: int
    n_test: int
    accuracy: float
    macro_f1: float
    majority_baseline: float
    abstained: int
    per_verdict: dict[str, VerdictScores]
    median_top1_score: float
    params: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        out = asdict(self)
        out["per_verdict"] = {k: asdict(v) for k, v in self.per_verdict.items()}
        return out


def split(
    claims: Sequence[Claim], test_size: float = 0.2, seed: int = 0
) -> tuple[list[Claim], list[Claim]]:
    """Stratified random split: ``test_size`` of each verdict is held out."""
    if not 0.0 < test_size < 1.0:
        raise ValueError(f"test_size must be in (0, 1), got {test_size}")
    rng = np.random.default_rng(seed)
    train: list[Claim] = []
    test: list[Claim] = []
    for verdict in VERDICTS:
        group = [c for c in claims if c.verdict == verdict]
        if not group:
            continue
        order = rng.permutation(len(group))
        n_test = int(round(len(group) * test_size))
        # Keep at least one of each verdict on both sides when possible.
        n_test = min(max(n_test, 1), len(group) - 1) if len(group) >= 2 else 0
        test += [group[i] for i in order[:n_test]]
        train += [group[i] for i in order[n_test:]]
    return train, test


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def score(
    truth: Sequence[str], predicted: Sequence[str | None]
) -> tuple[dict[str, VerdictScores], float, float]:
    """Per-verdict scores, accuracy and macro-F1 (over verdicts present in ``truth``)."""
    per: dict[str, VerdictScores] = {}
    for verdict in VERDICTS:
        tp = sum(1 for t, p in zip(truth, predicted, strict=True) if t == p == verdict)
        n_pred = sum(1 for p in predicted if p == verdict)
        n_true = sum(1 for t in truth if t == verdict)
        if not n_true and not n_pred:
            continue
        precision, recall = _ratio(tp, n_pred), _ratio(tp, n_true)
        f1 = (
            round(2 * precision * recall / (precision + recall), 4)
            if precision and recall
            else (0.0 if n_true else None)
        )
        per[verdict] = VerdictScores(precision, recall, f1, n_true, n_pred)
    accuracy = sum(1 for t, p in zip(truth, predicted, strict=True) if t == p) / max(1, len(truth))
    f1s = [v.f1 or 0.0 for v in per.values() if v.support]
    return per, round(accuracy, 4), round(float(np.mean(f1s)) if f1s else 0.0, 4)


def evaluate(
    claims: Sequence[Claim],
    *,
    test_size: float = 0.2,
    seed: int = 0,
    min_score: float = 0.0,
    matcher: ClaimMatcher | None = None,
) -> Evaluation:
    """Fit on a stratified training split, score the top-1 verdict on the rest.

    Parameters
    ----------
    claims : sequence of Claim
        The labelled archive.
    test_size : float, default 0.2
        Share of each verdict held out.
    seed : int, default 0
        Seed of the split.
    min_score : float, default 0.0
        Below this top-1 score no verdict is given (abstention).
    matcher : ClaimMatcher, optional
        An unfitted matcher with the hyperparameters to evaluate.
    """
    train, test = split(claims, test_size, seed)
    if not train or not test:
        raise ValueError("not enough claims to hold some out")
    matcher = matcher if matcher is not None else ClaimMatcher()
    matcher.fit(train)
    scores, indices = matcher.kneighbors([c.text for c in test], k=1)
    predicted: list[str | None] = []
    abstained = 0
    for s, i in zip(scores[:, 0], indices[:, 0], strict=True):
        if i < 0 or s < min_score:
            predicted.append(None)
            abstained += 1
        else:
            predicted.append(train[int(i)].verdict)
    truth = [c.verdict for c in test]
    per, accuracy, macro_f1 = score(truth, predicted)
    train_counts = {v: sum(1 for c in train if c.verdict == v) for v in VERDICTS}
    majority = max(train_counts, key=lambda v: train_counts[v])
    baseline = sum(1 for t in truth if t == majority) / len(truth)
    params = {
        "test_size": test_size,
        "seed": seed,
        "min_score": min_score,
        "char_weight": matcher.char_weight,
        "word_ngram_range": list(matcher.word_ngram_range),
        "char_ngram_range": list(matcher.char_ngram_range),
        "passage_words": matcher.passage_words,
    }
    return Evaluation(
        n_train=len(train),
        n_test=len(test),
        accuracy=accuracy,
        macro_f1=macro_f1,
        majority_baseline=round(baseline, 4),
        abstained=abstained,
        per_verdict=per,
        median_top1_score=round(float(np.median(scores[:, 0])), 4),
        params=params,
    )


def cross_validate(
    claims: Sequence[Claim],
    *,
    seeds: Sequence[int] = (0, 1, 2, 3, 4),
    test_size: float = 0.2,
    min_score: float = 0.0,
    matcher_params: dict | None = None,
) -> dict:
    """:func:`evaluate` over several random splits: mean and standard deviation."""
    runs = [
        evaluate(
            claims,
            test_size=test_size,
            seed=s,
            min_score=min_score,
            matcher=ClaimMatcher(**(matcher_params or {})),
        )
        for s in seeds
    ]

    def stat(values: list[float]) -> dict:
        arr = np.asarray(values, dtype=float)
        return {"mean": round(float(arr.mean()), 4), "std": round(float(arr.std()), 4)}

    out = {
        "splits": len(runs),
        "seeds": list(seeds),
        "accuracy": stat([r.accuracy for r in runs]),
        "macro_f1": stat([r.macro_f1 for r in runs]),
        "majority_baseline": stat([r.majority_baseline for r in runs]),
        "per_verdict": {},
    }
    for verdict in VERDICTS:
        rows = [r.per_verdict[verdict] for r in runs if verdict in r.per_verdict]
        if not rows:
            continue
        out["per_verdict"][verdict] = {
            "precision": stat([v.precision or 0.0 for v in rows]),
            "recall": stat([v.recall or 0.0 for v in rows]),
        }
    return out

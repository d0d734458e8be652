"""Fact-check archive and claim matching (no Django).

Public API
----------
Claim, VERDICTS
    One fact-checked claim (text, verdict hoax/valid/misleading, source, date).
read_pratiwi, read_claims_csv, ReadResult, RowError, ClaimFileError
    Readers of the seed data set and of the documented CSV format.
ClaimMatcher, ClaimMatch
    TF-IDF word + character n-gram cosine nearest neighbours.
evaluate, cross_validate, Evaluation
    Top-1 verdict precision and recall on held-out splits.
"""

from __future__ import annotations

from .archive import (
    CSV_COLUMNS,
    VERDICTS,
    Claim,
    ClaimFileError,
    ReadResult,
    RowError,
    normalize_verdict,
    read_claims_csv,
    read_pratiwi,
    summarize,
    verdict_counts,
)
from .evaluate import Evaluation, VerdictScores, cross_validate, evaluate, split
from .matcher import ClaimMatch, ClaimMatcher, preprocess

__all__ = [
    "CSV_COLUMNS",
    "VERDICTS",
    "Claim",
    "ClaimFileError",
    "ClaimMatch",
    "ClaimMatcher",
    "Evaluation",
    "ReadResult",
    "RowError",
    "VerdictScores",
    "cross_validate",
    "evaluate",
    "normalize_verdict",
    "preprocess",
    "read_claims_csv",
    "read_pratiwi",
    "split",
    "summarize",
    "verdict_counts",
]

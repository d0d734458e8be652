"""Social-media narratives (no Django): normalisation, near-duplicates,
clustering over a sliding window, and the spike rule.

Public API
----------
normalize, text_hash, shingles, terms
    Text keys of a post.
MinHasher, jaccard, group_near_duplicates
    MinHash/LSH near-duplicate detection.
NarrativeClusterer, NarrativeState, PostText, post_vector, top_terms
    Online clustering that keeps a narrative's identity as posts join.
SpikeRule, Spike, detect_spikes, volume_trend
    Volume spikes of flagged posts per area against the area's own baseline.
"""

from __future__ import annotations

from .cluster import NarrativeClusterer, NarrativeState, PostText, post_vector, top_terms
from .dedupe import MinHasher, group_near_duplicates, jaccard
from .spikes import Spike, SpikeRule, detect_spikes, evaluate_window, volume_trend
from .text import STOPWORDS, normalize, shingles, stem, surface_forms, terms, text_hash

__all__ = [
    "STOPWORDS",
    "MinHasher",
    "NarrativeClusterer",
    "NarrativeState",
    "PostText",
    "Spike",
    "SpikeRule",
    "detect_spikes",
    "group_near_duplicates",
    "jaccard",
    "normalize",
    "post_vector",
    "shingles",
    "stem",
    "surface_forms",
    "terms",
    "evaluate_window",
    "text_hash",
    "top_terms",
    "volume_trend",
]

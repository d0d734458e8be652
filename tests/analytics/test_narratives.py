"""Tests of sejuk.analytics.narratives (no Django): text keys, near-duplicates,
clustering with identity, and the spike rule.

Run alone with ``pytest tests/analytics/test_narratives.py -p no:django``.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from sejuk.analytics.narratives import (
    MinHasher,
    NarrativeClusterer,
    NarrativeState,
    PostText,
    SpikeRule,
    detect_spikes,
    evaluate_window,
    group_near_duplicates,
    jaccard,
    normalize,
    shingles,
    stem,
    terms,
    text_hash,
    top_terms,
    volume_trend,
)

POSTS = Path(__file__).resolve().parents[2] / "sejuk" / "monitoring" / "demo_data" / "posts.jsonl"
UTC = dt.UTC
T0 = dt.datetime(2024, 11, 24, 0, 0, tzinfo=UTC)


def _fixture() -> list[dict]:
    return [json.loads(line) for line in POSTS.read_text(encoding="utf-8").splitlines()]


def test_normalisation_drops_retweet_marks_links_and_mentions():
    a = "RT @budi: Awas!! TPS 011 Galur dipindah https://t.co/xyz #Pilkada2024"
    b = "awas tps 011 galur dipindah pilkada2024"
    assert normalize(a) == b
    assert text_hash(a) == text_hash("Awas TPS 011 Galur dipindah!!! #pilkada2024")
    assert text_hash(a) != text_hash("Awas TPS 012 Galur dipindah #pilkada2024")
    assert normalize("Bangeeeet ANEH") == "bangeet aneh"


@pytest.mark.parametrize(
    ("word", "root"),
    [("pembagian", "bagi"), ("dibagikan", "bagi"), ("memilih", "pilih"), ("dipilih", "pilih"),
     ("provokasinya", "provokasi"), ("menggeruduk", "geruduk"), ("sembako", "sembako"), ("tps", "tps")],
)  # fmt: skip
def test_the_light_stemmer_makes_inflections_meet(word, root):
    assert stem(word) == root


def test_terms_skip_stopwords_and_numbers_and_add_bigrams():
    assert terms(normalize("Tim paslon 2 bagi-bagi sembako di Tanah Tinggi")) == [
        "tim", "paslon", "bagi", "bagi", "sembako", "tanah", "tinggi",
        "tim paslon", "paslon bagi", "bagi bagi", "bagi sembako", "sembako tanah", "tanah tinggi",
    ]  # fmt: skip


def test_minhash_finds_copies_and_not_other_posts():
    rows = _fixture()
    sets = [shingles(normalize(r["text"])) for r in rows]
    groups = group_near_duplicates(sets)
    ids = [r["id"] for r in rows]
    copies = {ids[i]: ids[g] for i, g in enumerate(groups) if g >= 0}
    assert copies == {"1002": "1001", "1003": "1001", "1004": "1001"}


def test_band_keys_are_stable_and_fit_a_bigint():
    h = MinHasher()
    s = shingles(normalize("Awas TPS 011 Galur dipindah ke Jalan Topaz"))
    keys = h.keys(s)
    assert keys == MinHasher().keys(s) and len(keys) == 16
    assert all(0 <= k < 2**63 for k in keys)
    assert MinHasher(seed=2).keys(s) != keys


def test_minhash_agreement_tracks_jaccard():
    h = MinHasher(bands=64, rows=4)
    words = [f"kata{i}" for i in range(60)]
    a = set(words[:40])
    b = set(words[10:50])  # J = 30 / 50 = 0.6
    sa, sb = h.signature(a), h.signature(b)
    assert jaccard(a, b) == pytest.approx(0.6)
    assert (sa == sb).mean() == pytest.approx(0.6, abs=0.1)


def _cluster(rows, threshold=0.15):
    posts = [PostText(r["text"], dt.datetime.fromisoformat(r["time"])) for r in rows]
    return NarrativeClusterer(threshold=threshold).fit(posts)


def test_the_fixture_posts_fall_into_their_narratives():
    rows = _fixture()
    c = _cluster(rows)
    label = dict(zip((r["id"] for r in rows), c.labels_, strict=True))
    groups = {
        "tps": {"1001", "1002", "1003", "1004"},
        "money": {"2001", "2002", "2003", "2004"},
        "sara": {"3001", "3002", "3003", "3004"},
        "crowd": {"4001", "4002", "4003"},
    }
    found = {name: {label[i] for i in ids} for name, ids in groups.items()}
    assert all(len(v) == 1 for v in found.values()), found
    assert len(set().union(*found.values())) == 4
    for other in ("5001", "5002", "5003", "5004", "6001", "7001"):
        assert label[other] not in set().union(*found.values())
    money = c.narratives_[found["money"].pop()]
    assert money.n == 4
    assert "sembako" in " ".join(top_terms(money.centroid, 4))


def test_narratives_keep_their_keys_across_batches():
    rows = _fixture()
    first = NarrativeClusterer()
    first.fit([PostText(r["text"], dt.datetime.fromisoformat(r["time"])) for r in rows[:10]])
    for k, st in enumerate(first.narratives_):
        st.key = f"N{k}"
    money_key = first.narratives_[first.labels_[6]].key
    later = PostText(
        "Bawaslu harus usut pembagian sembako tim paslon 2 di Tanah Tinggi",
        dt.datetime(2024, 11, 24, 9, tzinfo=UTC),
    )
    second = NarrativeClusterer().partial_fit([later], first.narratives_)
    assert second.narratives_[second.labels_[0]].key == money_key
    assert second.narratives_[second.labels_[0]].n == 5
    assert not any(s.new for s in second.narratives_)


def test_a_dormant_narrative_takes_no_more_posts():
    old = NarrativeState("old", {"sembako": 0.7, "politik": 0.7}, 3, T0, T0)
    late = PostText("sembako politik uang", T0 + dt.timedelta(hours=80))
    c = NarrativeClusterer(window=dt.timedelta(hours=72)).partial_fit([late], [old])
    assert c.narratives_[c.labels_[0]].key is None and c.narratives_[c.labels_[0]].new
    soon = PostText("sembako politik uang", T0 + dt.timedelta(hours=10))
    c = NarrativeClusterer(window=dt.timedelta(hours=72)).partial_fit([soon], [old])
    assert c.narratives_[c.labels_[0]].key == "old"


def test_posts_without_topic_words_join_nothing():
    c = NarrativeClusterer().fit([PostText("di ke dari yang 123", T0)])
    assert list(c.labels_) == [-1] and c.narratives_ == []


def test_clusterer_and_states_validate_their_inputs():
    with pytest.raises(ValueError, match="timezone-aware"):
        PostText("x", dt.datetime(2024, 1, 1))
    with pytest.raises(ValueError, match="threshold"):
        NarrativeClusterer(threshold=0).fit([])
    with pytest.raises(ValueError, match="at least one post"):
        NarrativeState(1, {}, 0, T0, T0)


def _hours(counts_by_offset: dict[int, int], now: dt.datetime) -> dict[dt.datetime, int]:
    return {now - dt.timedelta(hours=h + 1): n for h, n in counts_by_offset.items()}


def test_a_burst_in_a_quiet_area_is_a_spike():
    now = T0 + dt.timedelta(days=20)
    quiet = _hours({200: 1, 300: 1, 2: 4, 3: 3}, now)  # 2 in two weeks, then 7 now
    spikes = detect_spikes({"31.71.08.1002": quiet}, now, SpikeRule(), kind="sara")
    assert len(spikes) == 1
    s = spikes[0]
    assert (s.area, s.kind, s.observed) == ("31.71.08.1002", "sara", 7)
    assert s.expected == pytest.approx(2 * 6 / (14 * 24), abs=1e-3)
    assert s.p_value < 1e-4
    assert s.window_start == now - dt.timedelta(hours=6)


def test_the_usual_volume_of_a_busy_area_is_not_a_spike():
    now = T0 + dt.timedelta(days=20)
    busy = {h: 2 for h in range(0, 14 * 24 + 6)}  # 12 per six hours, always
    assert detect_spikes({"a": _hours(busy, now)}, now) == []
    busy.update({0: 10, 1: 10})  # 28 in the window: 2.3 times usual, below the ratio 3
    assert detect_spikes({"a": _hours(busy, now)}, now) == []
    assert detect_spikes({"a": _hours(busy, now)}, now, SpikeRule(ratio=2.0))


def test_each_clause_of_the_rule_can_block_a_spike():
    rule = SpikeRule(min_count=5, ratio=3.0, alpha=0.001, min_expected=0.5)
    assert evaluate_window(4, 0, rule)[0] is False  # min_count
    assert evaluate_window(5, 0, rule)[0] is True  # P(X>=5 | 0.5) = 1.7e-4
    assert evaluate_window(5, 0, SpikeRule(min_expected=1.0))[0] is False  # P(X>=5 | 1) = 3.7e-3
    # 20 in six hours against 10 usual: significant, but only twice the usual.
    assert evaluate_window(20, 10 * 56, rule)[0] is False
    assert evaluate_window(31, 10 * 56, rule)[0] is True


def test_hours_outside_the_window_and_baseline_are_ignored():
    now = T0 + dt.timedelta(days=30)
    counts = {now: 50, now - dt.timedelta(days=40): 50, now - dt.timedelta(hours=1): 6}
    spikes = detect_spikes({"a": counts}, now)
    assert len(spikes) == 1 and spikes[0].observed == 6


def test_spike_rule_validates():
    with pytest.raises(ValueError, match="alpha"):
        SpikeRule(alpha=0.7)
    with pytest.raises(ValueError, match="timezone-aware"):
        detect_spikes({}, dt.datetime(2024, 1, 1))


@pytest.mark.parametrize(
    ("counts", "direction"),
    [([1, 1, 1, 5], "rising"), ([4, 4, 4, 1], "falling"), ([2, 2, 2, 2], "stable"),
     ([0, 0, 0, 3], "new"), ([], "stable")],
)  # fmt: skip
def test_volume_trend(counts, direction):
    assert volume_trend(counts)["direction"] == direction

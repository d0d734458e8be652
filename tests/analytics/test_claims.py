"""Tests of sejuk.analytics.claims (no Django): readers, matcher, evaluation.

Run alone with ``pytest tests/analytics/test_claims.py -p no:django``.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from sejuk.analytics.claims import (
    Claim,
    ClaimFileError,
    ClaimMatcher,
    evaluate,
    normalize_verdict,
    read_claims_csv,
    read_pratiwi,
    split,
    verdict_counts,
)

REPO = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("SEJUK_DATA_DIR", REPO.parent / "shared" / "data"))
PRATIWI = DATA / "nlp" / "pratiwi-hoax"
needs_data = pytest.mark.skipif(not PRATIWI.is_dir(), reason="pratiwi-hoax data not found")


@pytest.fixture(scope="module")
def pratiwi() -> list[Claim]:
    if not PRATIWI.is_dir():
        pytest.skip("pratiwi-hoax data not found")
    return read_pratiwi(PRATIWI).claims


SMALL = [
    Claim("Vaksin covid mengandung chip pelacak yang dipasang pemerintah", "hoax", "A"),
    Claim("Ikan lele mengandung 3000 sel kanker dalam sesuap daging", "hoax", "A"),
    Claim(
        "KPU menetapkan 27 November 2024 sebagai hari pemungutan suara Pilkada serentak",
        "valid",
        "B",
    ),
    Claim("Pemilih tanpa formulir C6 tetap bisa mencoblos dengan KTP elektronik", "valid", "B"),
    Claim("Surat suara sudah dicoblos sebelum hari pemungutan suara", "misleading", "C"),
]


@needs_data
def test_the_seed_archive_reads_all_600_texts(pratiwi):
    assert len(pratiwi) == 600
    assert verdict_counts(pratiwi) == {"hoax": 228, "valid": 372, "misleading": 0}
    assert len({c.ref for c in pratiwi}) == 600
    # cp1252 curly quotes are decoded, not left as C1 control characters.
    assert not any("\x93" in c.text or "\x92" in c.text for c in pratiwi)
    assert pratiwi[0].title.startswith("Jakarta, Di jejaring sosial")


def test_claims_validate_themselves():
    with pytest.raises(ValueError, match="verdict"):
        Claim("something happened", "maybe")
    with pytest.raises(ValueError, match="needs its text"):
        Claim("   ", "hoax")
    c = Claim("Beredar kabar TPS dipindah. Faktanya tidak.", "hoax")
    assert c.ref.startswith("sha256:") and c.title == "Beredar kabar TPS dipindah. Faktanya tidak."


@pytest.mark.parametrize(
    ("raw", "verdict"),
    [("Hoaks", "hoax"), ("HOAX", "hoax"), ("salah", "hoax"), ("benar", "valid"),
     ("Menyesatkan", "misleading"), ("kurang  konteks", "misleading"), ("maybe", None)],
)  # fmt: skip
def test_verdict_spellings(raw, verdict):
    assert normalize_verdict(raw) == verdict


def test_the_csv_reader_reports_bad_rows_and_keeps_good_ones():
    data = (
        b"text;verdict;source;date;url\n"
        b"Pencoblosan diundur ke Desember;hoaks;KPU;2024-11-25;https://example.org/a\n"
        b"\n"
        b"Tanpa putusan;entah;;;\n"
        b"Tanggal salah;hoax;;25/11/2024;\n"
        b"Alamat salah;hoax;;;ftp://x\n"
        b"Bukan UTF-8 \xff;hoax;;;\n"
        b"Terlalu banyak;hoax;;;;extra\n"
        b"Benar adanya;valid;;;\n"
    )
    out = read_claims_csv(data, default_source="Analis")
    assert [c.text for c in out.claims] == ["Pencoblosan diundur ke Desember", "Benar adanya"]
    assert out.claims[0].date == dt.date(2024, 11, 25) and out.claims[1].source == "Analis"
    assert out.skipped == 1
    assert [(e.line, e.message.split(" ")[0]) for e in out.errors] == [
        (4, "verdict"), (5, "date"), (6, "url"), (7, "not"), (8, "6"),
    ]  # fmt: skip
    assert "UTF-8" in out.errors[3].message


def test_a_csv_without_the_required_columns_is_refused():
    with pytest.raises(ClaimFileError, match="missing column.*verdict.*unknown column.*'klaim'"):
        read_claims_csv(b"text,klaim\nx,y\n")
    with pytest.raises(ClaimFileError, match="no header"):
        read_claims_csv(b"\n\n")


def test_the_matcher_finds_the_claim_a_post_repeats():
    m = ClaimMatcher().fit(SMALL)
    post = "katanya dlm sesuap daging lele ada 3000 sel kanker!! jgn makan lele"
    best = m.match([post], k=2)[0]
    assert best[0].claim.text.startswith("Ikan lele") and best[0].claim.verdict == "hoax"
    assert best[0].score > best[1].score
    # Typos and affixes still meet through the character n-grams.
    typo = m.match(["formulr c6 ketinggalan, bsa nyoblos pakai ktp elektronik?"], k=1)[0][0]
    assert typo.claim.text.startswith("Pemilih tanpa formulir C6")


def test_scores_are_cosines_and_thresholds_drop_weak_matches():
    m = ClaimMatcher().fit(SMALL)
    same = m.match([SMALL[2].text], k=1)[0][0]
    assert same.index == 2 and same.score == pytest.approx(1.0, abs=1e-3)
    assert m.match(["zzzz qqqq"], k=3, min_score=0.05) == [[]]
    scores, idx = m.kneighbors(["lele"], k=10)
    assert scores.shape == (1, 10) and (idx[0] >= -1).all()
    assert list(scores[0]) == sorted(scores[0], reverse=True)


def test_passages_let_a_short_post_meet_a_long_article():
    long = Claim(" ".join(["Pemerintah membahas anggaran daerah tahun depan."] * 30)
                 + " Isu TPS 011 Galur dipindah ke Jalan Topaz tidak benar kata KPU.", "hoax")  # fmt: skip
    other = Claim("TPS di Galur dibuka pukul tujuh pagi dan tutup pukul satu siang.", "valid")
    post = "TPS 011 Galur dipindah ke Jalan Topaz?"
    whole = {m.index: m.score for m in ClaimMatcher().fit([long, other]).match([post], k=2)[0]}
    parts = ClaimMatcher(passage_words=20).fit([long, other]).match([post], k=1)[0][0]
    assert parts.index == 0
    assert parts.score > whole[0] + 0.1


def test_the_matcher_checks_its_parameters():
    with pytest.raises(ValueError, match="char_weight"):
        ClaimMatcher(char_weight=2).fit(SMALL)
    with pytest.raises(ValueError, match="empty archive"):
        ClaimMatcher().fit([])
    with pytest.raises(RuntimeError, match="not fitted"):
        ClaimMatcher().transform(["x"])


def test_the_split_is_stratified_and_seeded():
    claims = [
        Claim(f"klaim nomor {i} tentang topik {i % 7}", "hoax" if i % 3 else "valid")
        for i in range(60)
    ]
    train, test = split(claims, 0.25, seed=3)
    assert len(test) == 15 and len(train) == 45
    assert verdict_counts(test) == {"hoax": 10, "valid": 5, "misleading": 0}
    assert split(claims, 0.25, seed=3)[1] == test
    assert split(claims, 0.25, seed=4)[1] != test


@needs_data
def test_top1_verdict_beats_the_majority_baseline_on_held_out_texts(pratiwi):
    ev = evaluate(pratiwi, test_size=0.2, seed=0)
    assert (ev.n_train, ev.n_test) == (480, 120)
    assert set(ev.per_verdict) == {"hoax", "valid"}
    for v in ev.per_verdict.values():
        assert 0.0 <= v.precision <= 1.0 and 0.0 <= v.recall <= 1.0
    assert ev.per_verdict["hoax"].support == 46 and ev.per_verdict["valid"].support == 74
    # Numbers as reported in docs/monitoring.md (seed 0).
    assert ev.accuracy > ev.majority_baseline
    abstaining = evaluate(pratiwi, test_size=0.2, seed=0, min_score=0.99)
    assert abstaining.abstained > 100

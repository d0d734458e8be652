"""Text keys of social-media posts: normalised text, its hash, shingles, terms.

Normalisation (for duplicate detection and clustering alike): Unicode NFKC,
case folding, URLs and ``@mentions`` removed, ``#tag`` kept as the word
``tag``, a leading retweet marker (``RT``) dropped, letters repeated three or
more times squeezed to two (``bangeeet`` -> ``bangeet``), every other
non-alphanumeric character a separator, whitespace collapsed.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache

__all__ = ["STOPWORDS", "normalize", "shingles", "stem", "surface_forms", "terms", "text_hash"]

_URL = re.compile(r"https?://\S+|www\.\S+")
_MENTION = re.compile(r"@\w+")
_RT = re.compile(r"^\s*rt\b[\s:]*", re.IGNORECASE)
_REPEAT = re.compile(r"(\w)\1{2,}")
_NON_WORD = re.compile(r"[^\w]+")
_DIGITS = re.compile(r"^\d+$")

# Function words and social-media filler in Indonesian (and a few English):
# they carry no topic and would glue unrelated posts together.
STOPWORDS: frozenset[str] = frozenset(
    [
        "yang",
        "dan",
        "di",
        "ke",
        "dari",
        "ini",
        "itu",
        "untuk",
        "dengan",
        "pada",
        "adalah",
        "akan",
        "juga",
        "tidak",
        "tak",
        "ada",
        "atau",
        "sudah",
        "telah",
        "oleh",
        "karena",
        "kalau",
        "kalo",
        "jika",
        "agar",
        "supaya",
        "bisa",
        "dapat",
        "saja",
        "aja",
        "lagi",
        "masih",
        "mau",
        "ingin",
        "harus",
        "pun",
        "lah",
        "kah",
        "tah",
        "nya",
        "dong",
        "sih",
        "deh",
        "kok",
        "nih",
        "tuh",
        "ya",
        "yah",
        "yg",
        "dgn",
        "utk",
        "krn",
        "sdh",
        "blm",
        "gak",
        "ga",
        "nggak",
        "enggak",
        "tdk",
        "gk",
        "jg",
        "aja",
        "kita",
        "kami",
        "saya",
        "aku",
        "gue",
        "gw",
        "lu",
        "lo",
        "kamu",
        "anda",
        "dia",
        "ia",
        "mereka",
        "kalian",
        "kau",
        "para",
        "sang",
        "si",
        "semua",
        "setiap",
        "banyak",
        "sangat",
        "lebih",
        "paling",
        "begitu",
        "gitu",
        "gini",
        "bahwa",
        "sebagai",
        "dalam",
        "luar",
        "atas",
        "bawah",
        "antara",
        "oleh",
        "tentang",
        "seperti",
        "hingga",
        "sampai",
        "sejak",
        "saat",
        "ketika",
        "waktu",
        "sekarang",
        "nanti",
        "tadi",
        "kemarin",
        "besok",
        "hari",
        "jam",
        "pagi",
        "siang",
        "sore",
        "malam",
        "rt",
        "amp",
        "the",
        "of",
        "and",
        "to",
        "in",
        "is",
        "for",
        "on",
    ]
)


def normalize(text: str) -> str:
    """The normalised form of a post (see the module docstring)."""
    s = unicodedata.normalize("NFKC", text or "").casefold()
    s = _RT.sub(" ", s)
    s = _URL.sub(" ", s)
    s = _MENTION.sub(" ", s)
    s = s.replace("#", " ")
    s = _REPEAT.sub(r"\1\1", s)
    s = _NON_WORD.sub(" ", s.replace("_", " "))
    return " ".join(s.split())


def text_hash(text: str) -> str:
    """A 16-hex-digit key of the normalised text (exact duplicates share it)."""
    return hashlib.blake2b(normalize(text).encode("utf-8"), digest_size=8).hexdigest()


def shingles(normalized: str, size: int = 3) -> set[str]:
    """Word ``size``-grams of a normalised text (the whole text when shorter)."""
    words = normalized.split()
    if len(words) <= size:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}


_PARTICLE = re.compile(r"(lah|kah|tah|pun)$")
_POSSESSIVE = re.compile(r"(ku|mu|nya)$")
# "-i" is left alone: it ends too many roots (tinggi, pagi, lagi).
_SUFFIX = re.compile(r"(kan|an)$")
_PREFIXES = (
    ("meng", ""), ("meny", "s"), ("mem", "p"), ("men", "t"), ("me", ""),
    ("peng", ""), ("peny", "s"), ("pem", "p"), ("pen", "t"), ("pe", ""),
    ("ber", ""), ("ter", ""), ("per", ""), ("di", ""), ("ke", ""),
)  # fmt: skip


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light Indonesian stemmer: particles, possessives, one derivational
    suffix (``-kan``, ``-an``) and one prefix are removed while at least four letters remain
    (``pembagian`` -> ``bagi``, ``dibagikan`` -> ``bagi``, ``provokasinya`` ->
    ``provokasi``). Rough on purpose: it only has to make inflections of one
    word meet, for clustering."""
    if len(word) <= 5 or not word.isalpha():
        return word
    w = word
    for pattern in (_PARTICLE, _POSSESSIVE, _SUFFIX):
        cut = pattern.sub("", w)
        if len(cut) >= 4:
            w = cut
    for prefix, replacement in _PREFIXES:
        if w.startswith(prefix):
            rest = w[len(prefix) :]
            # Nasal prefixes replace the root's first consonant (memilih -> pilih).
            cand = replacement + rest if replacement and rest[:1] in "aiueo" else rest
            if len(cand) >= 4:
                w = cand
            break
    return w


def surface_forms(texts) -> dict[str, str]:
    """For each stem, the most frequent word that produced it in ``texts``
    (to show ``pembagian sembako`` rather than ``bagi sembako``)."""
    from collections import Counter

    seen: dict[str, Counter] = {}
    for text in texts:
        for w in normalize(text).split():
            if len(w) >= 3 and w not in STOPWORDS and not _DIGITS.match(w):
                seen.setdefault(stem(w), Counter())[w] += 1
    return {k: c.most_common(1)[0][0] for k, c in seen.items()}


def terms(normalized: str, *, bigrams: bool = True) -> list[str]:
    """Topic terms: stems of words of three or more letters that are not
    stopwords or numbers, and the bigrams of consecutive such stems."""
    words = [
        stem(w)
        for w in normalized.split()
        if len(w) >= 3 and w not in STOPWORDS and not _DIGITS.match(w)
    ]
    out = list(words)
    if bigrams:
        out += [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]
    return out

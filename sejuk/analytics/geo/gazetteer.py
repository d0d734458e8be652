"""Locate free-text Indonesian incident reports to a kelurahan.

Citizens report incidents by WhatsApp, Telegram or phone, mostly without GPS:
``"ada keributan di jl topaz rt 05 rw 02 kel galur johar baru"``. A
:class:`Gazetteer` of kelurahan/desa, kecamatan, kabupaten/kota and street
names finds the place names in such a text and resolves it to the
Kemendagri code of one kelurahan (``31.71.08.1003``), or says why it cannot.
Plain Python, no Django, no third-party dependencies.

Normalisation (applied identically to place names and to report texts)
------------------------------------------------------------------------
* Unicode NFKC, case folding, diacritics removed (``é`` -> ``e``); the
  apostrophes inside a word are dropped (``Ba'u`` -> ``bau``); every other
  punctuation character separates words; whitespace collapses. Numbers are
  kept as words (``rt 05`` -> ``rt``, ``05``).
* Abbreviations are expanded word by word (see ``ABBREVIATIONS``): ``jl``,
  ``jln`` -> ``jalan``; ``gg`` -> ``gang``; ``kel`` -> ``kelurahan``; ``kec``
  -> ``kecamatan``; ``kab`` -> ``kabupaten``; ``ds`` -> ``desa``; ``kp``,
  ``kmp`` -> ``kampung``; ``tj``, ``tg`` -> ``tanjung``; ``ps``, ``psr`` ->
  ``pasar``; ``jakpus``/``jakut``/``jakbar``/``jaksel``/``jaktim`` ->
  ``jakarta pusat``/``utara``/``barat``/``selatan``/``timur``; and a few
  more. Because names go through the same expansion, ``Kp. Bantan`` and
  ``kampung bantan`` are the same key.
* Kabupaten/kota names are matched without their ``Kota Administrasi``,
  ``Kabupaten Administrasi``, ``Kabupaten`` or ``Kota`` prefix (the
  :class:`Place` keeps the official name); street names without a leading
  ``Jalan``/``Gang``/``Lorong``.
* Aliases: a multi-word name is also indexed written as one word (``Suka
  Maju`` matches ``sukamaju``), two adjacent words of the text are also tried
  as one word unless one is a stopword (``suka maju`` matches ``Sukamaju``,
  but ``di golome`` is not desa Digolome), and the parts of ``A (B)``
  and ``A / B`` names are indexed separately. Alias hits score 0.05 lower.

Matching
--------
* Names are matched as whole-word phrases through a dictionary keyed by the
  word tuple, with the possible phrase lengths indexed by first word, so the
  cost grows with the length of the text, not with the size of the gazetteer.
* Longest match first: a match lying inside a longer one (``rawa`` inside
  ``kampung rawa``) is dropped. Partly overlapping matches are both kept and
  compete during resolution.
* Cues: the word right before a name says which kind of place is meant --
  ``kelurahan``/``desa`` (kelurahan), ``kecamatan``, ``kabupaten``/``kota``
  (kabupaten/kota; ``kota`` and ``kabupaten`` also pick between e.g. Kota and
  Kabupaten Bogor) and ``jalan``/``gang``/``lorong`` (street). When the cued
  kind exists among the places of that name, the other interpretations are
  dropped (``kecamatan johar baru`` is the kecamatan, never kelurahan Johar
  Baru); otherwise they are kept with a penalty. A name right after a
  locative word (``di``, ``ke``, ``dekat``, ``depan``, ``sekitar``,
  ``daerah`` ...; also across one generic word, ``dekat pasar X``) scores a
  little higher; a name right after ``partai``, ``pak``, ``bu``, ``mas`` ...
  is a party or a person and is not matched.
* Words that are too common to be a place on their own -- Indonesian function
  words and report vocabulary (``di``, ``dan``, ``ada``, ``dekat``, ``jalan``,
  ``rt``, ``rw``, ``tawuran``, ``taman``, ``bola`` ...; see ``STOPWORDS``),
  generic name parts (``baru``, ``utara``, ``raya``, ``kampung``, ``pasar``,
  ``tanah``, ``kebon`` ...; see ``GENERIC_WORDS``), words under four letters
  and numbers -- match a one-word name only right after a cue of the same
  kind (``desa jaya``). Inside a longer name they match normally: ``pasar
  baru`` is the real kelurahan Pasar Baru (31.71.02.1001 and 25 namesakes).
* Light fuzziness: after exact matching, a word that is not covered by an
  exact match and does not itself occur in any name may differ by one edit
  (Damerau-Levenshtein, optimal string alignment, distance <= 1) from one
  word of a name, when both words have at least 5 letters and one of them at
  least 6, both are alphabetic and neither is a stopword or a generic word
  (``galurr`` -> Galur, ``tanah tingi`` -> Tanah Tinggi). At most one fuzzy
  word per phrase. A fuzzy one-word match without a cue is noise-prone
  (``pergi`` is one edit from desa Perigi): :meth:`Gazetteer.resolve` uses it
  only when its kecamatan or kabupaten/kota is mentioned too.

Scores and resolution (all on the confidence scale, 0..1)
----------------------------------------------------------
The score of a match on its own (:meth:`Gazetteer.match`):

===============================================  =====
kelurahan/kecamatan/kabkota, cue of its kind       0.85
same, no kind cue                                  0.65
  + name of two or more words                     +0.05
  + after a locative word (``di kampung rawa``)    +0.10
street, ``jalan``/``gang``/``lorong`` cue          0.60
street, no cue                                     0.50
a cue of another kind (kept, no better)           -0.20
alias spelling                                    -0.05
fuzzy (one edit)                                  -0.20
fuzzy, one word, no cue                           -0.30
===============================================  =====

:meth:`Gazetteer.resolve` turns every kelurahan or street match into a
kelurahan hypothesis (a street place stands for the kelurahan in its
``kode``) and adds the agreement found in *other*, non-overlapping matches:

* +0.15 when its kecamatan is mentioned (kelurahan + kecamatan ~ 0.95);
* +0.10 when its kabupaten/kota is mentioned;
* +0.08 when another match names the same kelurahan (street + kelurahan);
* -0.20 when the matched words are also the name of its own kecamatan and
  no cue says which is meant (``johar baru`` alone is kelurahan 31.71.08.1001
  at 0.60, but it may well mean the whole kecamatan), and another -0.20 when
  some other kelurahan of that kecamatan is named too (in ``galurr johar
  baru`` the words ``johar baru`` are read as Galur's kecamatan).

Kecamatan and kabupaten/kota matches are hypotheses too (a kecamatan gets
+0.10 for a mention of its kabupaten/kota). Evidence is capped at 0.98. The
best kelurahan hypothesis wins when it beats every rival by at least 0.10
(``MARGIN``); rivals are the other kelurahan and every kecamatan or
kabupaten/kota that does not contain it, except the other readings of the
matches that support it (in ``desa sambong, kec. batang`` the Batang
kecamatan of another province is no rival). Consequences: a cued or located
kelurahan (0.75+) beats a street (0.50-0.60); ``di galur`` (0.75) and ``di
kampung rawa`` (0.80) beat a common word that happens to name a desa
somewhere (0.65); a street resolves only when its name is unique (after
``within``) or one of its kelurahan lies in a mentioned kecamatan; a
kelurahan whose kecamatan is mentioned beats its namesakes elsewhere.

(A kecamatan or kabupaten/kota that does not contain the best kelurahan
and beats it by ``MARGIN`` becomes the best hypothesis instead.) The
winner's confidence is its evidence minus ``0.10 * (1 - margin / 0.30)``
when a rival came within 0.30. Without a kelurahan, a lone kecamatan gives
``kode=None``, ``kecamatan`` set and reason ``"only the kecamatan is known:
31.71.08"``. A tie gives ``kode=None`` and reason ``"ambiguous: ..."``, with
``kecamatan`` set when all the tied hypotheses lie in one kecamatan.
``confidence`` always refers to the most specific code returned (``kode``,
else ``kecamatan``) and is 0.0 when neither is returned.

``within`` keeps only places whose code equals one of the prefixes, lies
under one, or contains one (so the Polres's own kabupaten/kota still counts
as context). Prefixes are whole code segments: ``"31.71"``, ``"31.71.08"``;
a plain string is one prefix; an empty sequence allows nothing.
"""

from __future__ import annotations

import gc
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

__all__ = [
    "ABBREVIATIONS",
    "GENERIC_WORDS",
    "STOPWORDS",
    "Gazetteer",
    "Match",
    "Place",
    "Resolution",
    "normalize_text",
    "places_from_wilayah_rows",
]

PlaceKind = Literal["kelurahan", "kecamatan", "kabkota", "street"]


@dataclass(frozen=True)
class Place:
    """One gazetteer entry.

    ``kode`` is the Kemendagri code; for a street it is the code of the
    kelurahan the street lies in (list a street once per kelurahan it crosses).
    ``parent`` is the code one level up (for a street, its kecamatan).
    """

    kode: str
    name: str
    kind: PlaceKind
    parent: str | None = None


@dataclass(frozen=True)
class Match:
    """A place name found in a text.

    ``start``/``end`` are character offsets into the original text and
    ``matched_text == text[start:end]``. ``score`` is on the confidence scale:
    the match's own evidence from :meth:`Gazetteer.match`, the evidence
    including agreement with the other matches in :attr:`Resolution.candidates`.
    """

    place: Place
    score: float
    start: int
    end: int
    matched_text: str


@dataclass(frozen=True)
class Resolution:
    """Outcome of :meth:`Gazetteer.resolve`.

    ``kode`` is a kelurahan code or ``None``; ``kecamatan`` is the kecamatan
    code when known (that of ``kode``, a lone kecamatan, or the one shared by
    all tied candidates). ``candidates`` holds the best match of every
    hypothesis, best first.
    """

    kode: str | None
    confidence: float
    reason: str
    candidates: list[Match]
    kecamatan: str | None = None


# --------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------

ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "jl": ("jalan",),
    "jln": ("jalan",),
    "jaln": ("jalan",),
    "gg": ("gang",),
    "lr": ("lorong",),
    "kel": ("kelurahan",),
    "kelr": ("kelurahan",),
    "kelurhan": ("kelurahan",),
    "ds": ("desa",),
    "kec": ("kecamatan",),
    "kecamtan": ("kecamatan",),
    "kab": ("kabupaten",),
    "kabupatn": ("kabupaten",),
    "kodya": ("kota",),
    "kotamadya": ("kota",),
    "prov": ("provinsi",),
    "prop": ("provinsi",),
    "kp": ("kampung",),
    "kmp": ("kampung",),
    "kpg": ("kampung",),
    "kamp": ("kampung",),
    "tj": ("tanjung",),
    "tg": ("tanjung",),
    "tjg": ("tanjung",),
    "ps": ("pasar",),
    "psr": ("pasar",),
    "dsn": ("dusun",),
    "mns": ("meunasah",),
    "perk": ("perkebunan",),
    "jkt": ("jakarta",),
    "jakpus": ("jakarta", "pusat"),
    "jakut": ("jakarta", "utara"),
    "jakbar": ("jakarta", "barat"),
    "jaksel": ("jakarta", "selatan"),
    "jaktim": ("jakarta", "timur"),
}


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Function words and incident-report vocabulary: never a place on their own.
STOPWORDS: frozenset[str] = _word_set(
    """
    di ke dari dan atau yang ada adalah dekat depan belakang samping sebelah
    seberang sekitar arah menuju antara dalam luar atas bawah ujung pinggir
    tepi ini itu sini situ sana tadi kini sekarang kemarin besok pagi siang
    sore malam jam pukul hari tgl tanggal rt rw no nomor blok lantai jalan
    gang lorong kelurahan desa dusun kecamatan kabupaten kota provinsi
    wilayah daerah lokasi tempat kawasan area komplek kompleks perumahan
    gedung rumah toko warung kantor sekolah masjid mesjid musholla mushola
    gereja lapangan stasiun terminal halte jembatan pertigaan perempatan
    bundaran lampu merah pos tps polsek polres polda polisi bhabinkamtibmas
    babinsa warga orang massa pemuda anak bapak ibu pak bu mas mbak bang kak
    saya aku kami kita mereka dia ia kalian anda sedang lagi sudah telah akan
    belum tidak tak bukan ga gak nggak enggak tdk yg dgn dg utk krn sdh blm
    jg aja saja juga pun dong sih nih tuh ya yah kok lho deh mohon tolong
    segera cepat bantu bantuan lapor laporan melapor info informasi terjadi
    kejadian peristiwa ribut keributan ricuh kericuhan rusuh kerusuhan
    bentrok bentrokan tawuran perkelahian berkelahi demo demonstrasi unjuk
    rasa kumpul berkumpul spanduk baliho poster stiker atribut bendera
    kampanye caleg capres cawapres partai pemilu pilkada pilpres pileg
    politik rusak dirusak merusak dibakar bakar dicopot dirobek diturunkan
    korban luka mobil motor dengan untuk pada oleh karena sejak sampai hingga
    ketika saat waktu banyak beberapa semua para sekelompok kelompok aman
    damai kondusif situasi kondisi provokasi provokator hoaks hoax isu video
    foto grup whatsapp telegram telp telepon admin terima kasih selamat
    warganet pendukung relawan simpatisan tim sukses ormas preman anggota
    arak arakan iring iringan konvoi pawai orasi bagi bagus balai bandara
    begal bengkel bisa bola bulan buntu fajar gelap gembira golok harus juta
    kaos kapal kembang kubu ladang lurah camat mabuk mahal muda panas parang
    pojok puluhan ratusan sabung serangan setiap silat surat tahu taman
    tenang teriak tokoh tukang tutup nelayan petani pelabuhan stadion
    pancasila hanura jumat sabtu minggu senin selasa rabu kamis kopi ngopi
    """
)

# Generic parts of place names: fine inside a longer name, never on their own.
GENERIC_WORDS: frozenset[str] = _word_set(
    """
    baru lama utara selatan barat timur tengah pusat raya besar kecil hulu
    hilir ilir ulu dalam luar atas bawah kampung pasar tanah kebon kebun
    sungai sei kali pulau pulo tanjung gunung bukit batu air aek way danau
    rawa muara teluk lubuk padang tegal pondok karang sumber suka sido mekar sawah
    sari jaya makmur indah mulya mulyo mulia sejahtera harapan merdeka permai
    asri lestari sentosa agung bahagia karya bakti maju mandiri rejo mukti
    wetan kulon lor kidul satu dua tiga empat lima enam tujuh delapan
    sembilan sepuluh dukuh simpang blang meunasah gampong nagari jorong
    negeri kuta koto kota desa dusun talang paya rantau pasir bandar ujung
    panjang bumi raja baro rendah putih hitam hijau kuning lima
    pantai laut kayu jati beringin pinang durian kelapa mangga cempaka
    melati mawar asam bambu i ii iii iv v vi vii viii ix x
    """
)

_NOT_ALONE = STOPWORDS | GENERIC_WORDS

_CUES: dict[str, str] = {
    "kelurahan": "kelurahan",
    "desa": "kelurahan",
    "kecamatan": "kecamatan",
    "kabupaten": "kabkota",
    "kota": "kabkota",
    "jalan": "street",
    "gang": "street",
    "lorong": "street",
}

# A name right after one of these is more likely meant as a place.
_LOCATIVES = _word_set(
    "di ke dari dekat depan belakang samping sebelah seberang sekitar sekitaran "
    "arah menuju daerah wilayah kawasan lokasi area dkt dpn"
)
# A name right after one of these is a party or a person, not a place.
_ANTI_CUES = _word_set(
    "partai pak bu bapak ibu mas mbak bang kak sdr saudara saudari bernama namanya"
)

_KABKOTA_PREFIXES = (
    ("kota", "administrasi"),
    ("kabupaten", "administrasi"),
    ("kabupaten",),
    ("kota",),
)
_STREET_PREFIXES = (("jalan",), ("gang",), ("lorong",))
_ROMAN = _word_set("i ii iii iv v vi vii viii ix x xi xii")

_RAW_WORD = re.compile(r"[^\W_]+(?:['\u2019\u02bc`\u00b4][^\W_]+)*")
_WORD = re.compile(r"[^\W_]+")
_PLAIN = re.compile(r"[A-Za-z0-9 ]*\Z")
_APOSTROPHE_RE = re.compile("['\u2019\u02bc`\u00b4]")


@lru_cache(maxsize=16384)
def _normalize_word(raw: str) -> tuple[str, ...]:
    """Normalise one raw word (which may expand to several words)."""
    s = unicodedata.normalize("NFKC", raw).casefold()
    if not s.isascii():
        s = "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))
        s = unicodedata.normalize("NFKC", s)
    if _APOSTROPHE_RE.search(s):
        s = _APOSTROPHE_RE.sub("", s)
    out: list[str] = []
    for word in _WORD.findall(s):
        out.extend(ABBREVIATIONS.get(word, (word,)))
    return tuple(out)


def _tokenize(text: str) -> tuple[list[str], list[int], list[int]]:
    """Return the normalised words of *text* with the character span of each."""
    words: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for m in _RAW_WORD.finditer(text):
        start, end = m.span()
        for word in _normalize_word(m.group()):
            words.append(word)
            starts.append(start)
            ends.append(end)
    return words, starts, ends


def _words(text: str) -> list[str]:
    if _PLAIN.match(text):  # fast path, same result: ASCII letters, digits, spaces
        out: list[str] = []
        for word in text.lower().split():
            out.extend(ABBREVIATIONS.get(word, (word,)))
        return out
    return [w for m in _RAW_WORD.finditer(text) for w in _normalize_word(m.group())]


def normalize_text(text: str) -> str:
    """Return *text* normalised as the gazetteer sees it (words joined by spaces)."""
    return " ".join(_words(text))


def _fuzzy_eligible(word: str) -> bool:
    return len(word) >= 5 and word.isalpha() and word not in _NOT_ALONE


# --------------------------------------------------------------------------
# Gazetteer
# --------------------------------------------------------------------------

_KIND_LABEL = {
    "kelurahan": "kelurahan",
    "kecamatan": "kecamatan",
    "kabkota": "kabupaten/kota",
    "street": "street",
}

MARGIN = 0.10
_CAP = 0.98
_KEC_BONUS = 0.15
_KAB_BONUS = 0.10
_SAME_BONUS = 0.08
_OWN_KEC_PENALTY = 0.20


@dataclass
class _Span:
    i: int  # first word
    j: int  # one past the last word
    fuzzy: bool
    weak: bool  # a fuzzy one-word match without cue
    # place index -> base score
    entries: dict[int, float]


@dataclass
class _Hypothesis:
    level: str  # "kel", "kec" or "kab"
    kode: str
    evidence: float  # uncapped, for ranking
    span: _Span
    place: int
    notes: list[str]
    support: list[_Span]  # the other matches that agree with it

    @property
    def score(self) -> float:
        return round(min(_CAP, max(0.0, self.evidence)), 4)


class Gazetteer:
    """Find and resolve place names in Indonesian free text.

    See the module docstring for the normalisation, matching and scoring rules.
    Building from the ~91,600 Kemendagri regions takes about a second; a
    300-character report resolves in well under a millisecond.
    """

    def __init__(self, places: Iterable[Place]) -> None:
        # Hundreds of thousands of small containers and no reference cycles:
        # pausing the cyclic garbage collector during the build saves about a
        # third of its time. One collection afterwards lets it stop tracking
        # the index's tuples now, rather than pausing some later request.
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            self._build(places)
        finally:
            if gc_was_enabled:
                gc.enable()
                gc.collect()

    def _build(self, places: Iterable[Place]) -> None:
        self._places: list[Place] = list(places)
        self._kel: list[str | None] = []  # kelurahan code of a kelurahan or street
        self._kec: list[str | None] = []
        self._kab: list[str | None] = []
        self._subtype: list[str | None] = []  # "kota"/"kabupaten" for kabkota
        # key -> codes ``place index << 1 | is_alias``; tuples of ints, so that
        # the cyclic garbage collector can stop tracking them.
        phrases: dict[tuple[str, ...], list[int]] = {}
        keys_of: dict[tuple[str, str], list[tuple[tuple[str, ...], bool]]] = {}

        for idx, place in enumerate(self._places):
            kode, kind = place.kode, place.kind
            parts = kode.split(".")
            kab = ".".join(parts[:2]) if len(parts) >= 2 else None
            if kind == "kelurahan" or kind == "street":
                self._kel.append(kode)
                self._kec.append(".".join(parts[:3]) if len(parts) >= 3 else place.parent)
                self._kab.append(kab)
                self._subtype.append(None)
            elif kind == "kecamatan":
                self._kel.append(None)
                self._kec.append(kode)
                self._kab.append(kab or place.parent)
                self._subtype.append(None)
            else:
                self._kel.append(None)
                self._kec.append(None)
                self._kab.append(kode)
                self._subtype.append(self._kabkota_subtype(place.name))
            keys = keys_of.get((place.name, kind))
            if keys is None:
                keys = keys_of[(place.name, kind)] = self._keys(place)
            for key, alias in keys:
                code = idx << 1 | alias
                slot = phrases.get(key)
                if slot is None:
                    phrases[key] = [code]
                elif slot[-1] >> 1 == idx:
                    # The same key twice for one place: the exact spelling wins.
                    slot[-1] &= code
                else:
                    slot.append(code)

        self._phrases: dict[tuple[str, ...], tuple[int, ...]] = {}
        for key, slot in phrases.items():
            self._phrases[key] = tuple(slot)
        lengths: dict[str, set[int]] = defaultdict(set)
        for key in self._phrases:
            lengths[key[0]].add(len(key))
        self._lengths: dict[str, tuple[int, ...]] = {
            w: tuple(sorted(ls, reverse=True)) for w, ls in lengths.items()
        }
        self._max_len = max((len(k) for k in self._phrases), default=1)
        # Words a typo may be corrected to; see _fuzzy_targets.
        self._vocabulary = frozenset(w for key in self._phrases for w in key)
        self._fuzzy_vocabulary = frozenset(w for w in self._vocabulary if _fuzzy_eligible(w))
        self._alphabet = "".join(sorted({c for w in self._fuzzy_vocabulary for c in w}))
        self._fuzzy_cache: dict[str, tuple[str, ...]] = {}

    def __len__(self) -> int:
        return len(self._places)

    # ------------------------------------------------------------------ keys

    @staticmethod
    def _kabkota_subtype(name: str) -> str | None:
        first = _words(name)[:1]
        if first == ["kota"]:
            return "kota"
        if first == ["kabupaten"]:
            return "kabupaten"
        return None

    @staticmethod
    def _strip_prefix(words: list[str], prefixes: tuple[tuple[str, ...], ...]) -> list[str]:
        for prefix in prefixes:
            n = len(prefix)
            if len(words) > n and tuple(words[:n]) == prefix:
                return words[n:]
        return words

    def _keys(self, place: Place) -> list[tuple[tuple[str, ...], bool]]:
        """Return ``(key, is_alias)`` pairs under which *place* is indexed."""

        def core(text: str) -> list[str]:
            words = _words(text)
            if place.kind == "kabkota":
                words = self._strip_prefix(words, _KABKOTA_PREFIXES)
            elif place.kind == "street":
                words = self._strip_prefix(words, _STREET_PREFIXES)
            return words

        main = core(place.name)
        if not main:
            return []
        keys: list[tuple[tuple[str, ...], bool]] = [(tuple(main), False)]
        parts: list[list[str]] = []
        name = place.name
        if "(" in name:
            outside = re.sub(r"\([^)]*\)?", " ", name)
            inside = " ".join(re.findall(r"\(([^)]*)\)?", name))
            parts.extend([core(outside), core(inside)])
        if "/" in name:
            pieces = [core(p) for p in name.split("/")]
            if all(len("".join(p)) >= 4 and not set(p) <= _ROMAN for p in pieces):
                parts.extend(pieces)
        for part in parts:
            if part and part != main and not (len(part) == 1 and part[0] in _NOT_ALONE):
                keys.append((tuple(part), True))
        for words in [main, *parts]:
            if 2 <= len(words) <= 3 and all(
                len(w) >= 3 and w.isalpha() and w not in _ROMAN for w in words
            ):
                keys.append((("".join(words),), True))
        return keys

    # -------------------------------------------------------------- matching

    def _allowed(self, kode: str, within: tuple[str, ...] | None) -> bool:
        if within is None:
            return True
        for p in within:
            if kode == p or kode.startswith(p + ".") or p.startswith(kode + "."):
                return True
        return False

    def _span(
        self,
        words: list[str],
        i: int,
        j: int,
        found: tuple[int, ...],
        key_len: int,
        fuzzy: bool,
        within: tuple[str, ...] | None,
    ) -> _Span | None:
        """Filter the places of one phrase hit and give each its base score."""
        places = self._places
        before = words[i - 1] if i > 0 else None
        if before in _ANTI_CUES:
            return None
        entries = [(c >> 1, c & 1) for c in found if self._allowed(places[c >> 1].kode, within)]
        if not entries:
            return None
        cue = _CUES.get(before) if before else None
        locative = before in _LOCATIVES or (
            i > 1 and before in _NOT_ALONE and words[i - 2] in _LOCATIVES
        )
        alone = key_len == 1 and j - i == 1
        word = words[i]
        restricted = alone and (word in _NOT_ALONE or len(word) < 4 or not word.isalpha())
        if cue is not None:
            cued = [e for e in entries if places[e[0]].kind == cue]
            if cued and cue == "kabkota":
                cued = [e for e in cued if self._subtype[e[0]] == before] or cued
            if cued:
                entries = cued
            elif restricted:
                return None
        elif restricted:
            return None
        weak = fuzzy and alone and cue is None
        out: dict[int, float] = {}
        for p, alias in entries:
            kind = places[p].kind
            agrees = cue == kind
            if kind == "street":
                score = 0.60 if agrees else 0.50
            elif agrees:
                score = 0.85
            else:
                score = 0.65 + (0.0 if alone else 0.05) + (0.10 if locative else 0.0)
            if cue is not None and not agrees:
                score -= 0.20
            if alias:
                score -= 0.05
            if fuzzy:
                score -= 0.30 if weak else 0.20
            if score > out.get(p, -1.0):
                out[p] = round(score, 4)
        return _Span(i, j, fuzzy, weak, out)

    def _exact_spans(self, words: list[str], within: tuple[str, ...] | None) -> list[_Span]:
        spans: list[_Span] = []
        n = len(words)
        phrases = self._phrases
        for i, word in enumerate(words):
            for length in self._lengths.get(word, ()):
                if i + length > n:
                    continue
                key = tuple(words[i : i + length]) if length > 1 else (word,)
                found = phrases.get(key)
                if found:
                    span = self._span(words, i, i + length, found, length, False, within)
                    if span is not None:
                        spans.append(span)
            if i + 1 < n and word not in STOPWORDS and words[i + 1] not in STOPWORDS:
                found = phrases.get((word + words[i + 1],))
                if found:
                    aliased = tuple(c | 1 for c in found)
                    span = self._span(words, i, i + 2, aliased, 1, False, within)
                    if span is not None:
                        spans.append(span)
        return spans

    def _fuzzy_targets(self, word: str) -> tuple[str, ...]:
        """Name words one edit away from *word* (both >= 5 letters, one >= 6).

        The edits of *word* are generated and looked up in the vocabulary
        (cheaper to build than a delete index, and fast enough at query time).
        """
        cached = self._fuzzy_cache.get(word)
        if cached is not None:
            return cached
        n = len(word)
        edits: set[str] = set()
        if n >= 6:
            edits.update(word[:i] + word[i + 1 :] for i in range(n))
            edits.update(word[:i] + c + word[i + 1 :] for i in range(n) for c in self._alphabet)
            edits.update(
                word[:i] + word[i + 1] + word[i] + word[i + 2 :]
                for i in range(n - 1)
                if word[i] != word[i + 1]
            )
        edits.update(word[:i] + c + word[i:] for i in range(n + 1) for c in self._alphabet)
        edits.discard(word)
        found = tuple(sorted(edits & self._fuzzy_vocabulary))
        if len(self._fuzzy_cache) >= 65536:
            self._fuzzy_cache.clear()
        self._fuzzy_cache[word] = found
        return found

    def _fuzzy_spans(
        self, words: list[str], covered: set[int], within: tuple[str, ...] | None
    ) -> list[_Span]:
        spans: list[_Span] = []
        n = len(words)
        for j, word in enumerate(words):
            if j in covered or word in self._vocabulary or not _fuzzy_eligible(word):
                continue
            for target in self._fuzzy_targets(word):
                for i in range(max(0, j - self._max_len + 1), j + 1):
                    first = target if i == j else words[i]
                    for length in self._lengths.get(first, ()):
                        if i + length <= j or i + length > n:
                            continue
                        key = tuple(target if k == j else words[k] for k in range(i, i + length))
                        found = self._phrases.get(key)
                        if found:
                            span = self._span(words, i, i + length, found, length, True, within)
                            if span is not None:
                                spans.append(span)
        return spans

    @staticmethod
    def _prune(spans: list[_Span]) -> list[_Span]:
        """Merge equal spans and drop those inside a longer one."""
        merged: dict[tuple[int, int], _Span] = {}
        for span in spans:
            key = (span.i, span.j)
            have = merged.get(key)
            if have is None:
                merged[key] = _Span(span.i, span.j, span.fuzzy, span.weak, dict(span.entries))
                continue
            for p, s in span.entries.items():
                if s > have.entries.get(p, -1.0):
                    have.entries[p] = s
            have.fuzzy = have.fuzzy and span.fuzzy
            have.weak = have.weak and span.weak
        ranges = list(merged)
        kept = [
            merged[(i, j)]
            for i, j in ranges
            if not any(a <= i and j <= b and (a, b) != (i, j) for a, b in ranges)
        ]
        kept.sort(key=lambda s: (s.i, s.j))
        return kept

    def _spans(self, words: list[str], within: tuple[str, ...] | None) -> list[_Span]:
        spans = self._prune(self._exact_spans(words, within))
        covered = {k for s in spans for k in range(s.i, s.j)}
        fuzzy = self._fuzzy_spans(words, covered, within)
        if fuzzy:
            spans = self._prune(spans + fuzzy)
        return spans

    @staticmethod
    def _within(within: Sequence[str] | None) -> tuple[str, ...] | None:
        if within is None:
            return None
        if isinstance(within, str):
            within = (within,)
        return tuple(p.strip().rstrip(".") for p in within)

    def match(self, text: str, *, within: Sequence[str] | None = None) -> list[Match]:
        """Return every place name found in *text*, one :class:`Match` per place.

        A span that names several places (``johar baru``: kecamatan and
        kelurahan) yields one match for each. Ordered by position, then score.
        """
        words, starts, ends = _tokenize(text)
        out: list[Match] = []
        for span in self._spans(words, self._within(within)):
            start, end = starts[span.i], ends[span.j - 1]
            for p, score in sorted(span.entries.items(), key=lambda e: -e[1]):
                out.append(Match(self._places[p], score, start, end, text[start:end]))
        return out

    # ------------------------------------------------------------ resolution

    def resolve(self, text: str, *, within: Sequence[str] | None = None) -> Resolution:
        """Resolve *text* to one kelurahan code (see the module docstring)."""
        words, starts, ends = _tokenize(text)
        territory = self._within(within)
        spans = self._spans(words, territory)
        if not spans:
            return Resolution(None, 0.0, "no place name found", [])

        places = self._places
        kel_of, kec_of, kab_of = self._kel, self._kec, self._kab
        mentions: dict[str, dict[str, list[_Span]]] = {
            "kel": defaultdict(list),
            "kec": defaultdict(list),
            "kab": defaultdict(list),
            "kel_in_kec": defaultdict(list),  # spans naming a kelurahan, by kecamatan
        }
        kels_in_span: dict[int, int] = {}
        for span in spans:
            span_kels: set[str] = set()
            for p in span.entries:
                kind = places[p].kind
                if kind == "kelurahan" or kind == "street":
                    span_kels.add(kel_of[p])  # type: ignore[arg-type]
                    if kec_of[p] is not None:
                        mentions["kel_in_kec"][kec_of[p]].append(span)  # type: ignore[index]
                elif kind == "kecamatan":
                    mentions["kec"][places[p].kode].append(span)
                else:
                    mentions["kab"][places[p].kode].append(span)
            for kode in span_kels:
                mentions["kel"][kode].append(span)
            kels_in_span[id(span)] = len(span_kels)

        def disjoint(a: _Span, b: _Span) -> bool:
            return a.j <= b.i or b.j <= a.i

        def elsewhere(level: str, kode: str | None, span: _Span) -> _Span | None:
            for other in mentions[level].get(kode, ()) if kode else ():
                if disjoint(other, span):
                    return other
            return None

        def quote(span: _Span) -> str:
            return repr(text[starts[span.i] : ends[span.j - 1]])

        hyps: dict[tuple[str, str], _Hypothesis] = {}
        for span in spans:
            span_kecs = {places[p].kode for p in span.entries if places[p].kind == "kecamatan"}
            for p, base in span.entries.items():
                place = places[p]
                notes: list[str] = []
                support: list[_Span] = []
                evidence = base
                if place.kind == "kelurahan" or place.kind == "street":
                    level, kode = "kel", kel_of[p]
                    if (other := elsewhere("kec", kec_of[p], span)) is not None:
                        evidence += _KEC_BONUS
                        notes.append(f"kecamatan {quote(other)} agrees")
                        support.append(other)
                    if (other := elsewhere("kab", kab_of[p], span)) is not None:
                        evidence += _KAB_BONUS
                        notes.append(f"kabupaten/kota {quote(other)} agrees")
                        support.append(other)
                    same = [o for o in mentions["kel"][kode] if disjoint(o, span)]  # type: ignore[index]
                    if same:
                        # A street crossing n kelurahan is 1/n of a confirmation.
                        other = min(same, key=lambda o: kels_in_span[id(o)])
                        evidence += _SAME_BONUS / kels_in_span[id(other)]
                        notes.append(f"{quote(other)} is there too")
                        support.append(other)
                    if place.kind == "kelurahan" and kec_of[p] in span_kecs:
                        evidence -= _OWN_KEC_PENALTY
                        notes.append("the same words name its kecamatan")
                        if elsewhere("kel_in_kec", kec_of[p], span) is not None:
                            # Another kelurahan of that kecamatan is named: the
                            # words are read as the kecamatan (``galur johar baru``).
                            evidence -= _OWN_KEC_PENALTY
                            notes.append("another kelurahan of it is named")
                elif place.kind == "kecamatan":
                    level, kode = "kec", place.kode
                    if (other := elsewhere("kab", kab_of[p], span)) is not None:
                        evidence += _KAB_BONUS
                        notes.append(f"kabupaten/kota {quote(other)} agrees")
                        support.append(other)
                else:
                    level, kode = "kab", place.kode
                if span.weak and not support:
                    continue  # an unsupported one-word typo match is noise
                assert kode is not None
                have = hyps.get((level, kode))
                if have is None or evidence > have.evidence:
                    hyps[(level, kode)] = _Hypothesis(
                        level, kode, evidence, span, p, notes, support
                    )

        if not hyps:
            return Resolution(None, 0.0, "no place name found", [])
        order = {"kel": 0, "kec": 1, "kab": 2}
        ranked = sorted(
            hyps.values(), key=lambda h: (-h.evidence, order[h.level], h.span.i, h.kode)
        )
        candidates = [
            Match(
                places[h.place],
                h.score,
                starts[h.span.i],
                ends[h.span.j - 1],
                text[starts[h.span.i] : ends[h.span.j - 1]],
            )
            for h in ranked
        ]

        def contains(outer: _Hypothesis, inner: _Hypothesis) -> bool:
            return inner.kode.startswith(outer.kode + ".")

        def describe(h: _Hypothesis) -> str:
            place = places[h.place]
            label = _KIND_LABEL[place.kind]
            where = f" in kelurahan {h.kode}" if place.kind == "street" else f" {h.kode}"
            return f"{label} {place.name}{where} from {quote(h.span)}"

        # The best kelurahan-level hypothesis, if any. Its rivals are the
        # hypotheses that neither contain it nor lie inside it -- except other
        # readings of the matches that support it: in "kec. rumbia" the
        # Rumbia of another province is no rival to a kelurahan of this one.
        best = next((h for h in ranked if h.level == "kel"), ranked[0])
        top = ranked[0]
        if top is not best and not contains(top, best) and top.evidence - best.evidence >= MARGIN:
            best = top  # a kecamatan elsewhere clearly outweighs every kelurahan
        used = {id(s) for s in best.support}
        rivals = [
            h
            for h in ranked
            if h is not best
            and id(h.span) not in used
            and not contains(h, best)
            and not contains(best, h)
        ]
        margin = best.evidence - (rivals[0].evidence if rivals else 0.0)
        decided = margin >= MARGIN - 1e-9

        if decided and best.level == "kel":
            confidence = best.score
            if rivals and margin < 0.30:
                confidence -= 0.10 * (1 - margin / 0.30)
            reason = describe(best)
            if best.span.fuzzy:
                reason += " (one typo allowed)"
            if best.notes:
                reason += "; " + "; ".join(best.notes)
            if rivals:
                reason += f"; beats {len(rivals)} other candidate(s) by {margin:.2f}"
            return Resolution(
                best.kode, round(confidence, 4), reason, candidates, kec_of[best.place]
            )
        if decided and best.level == "kec":
            reason = f"only the kecamatan is known: {best.kode}"
            return Resolution(None, best.score, reason, candidates, best.kode)
        if decided:
            reason = f"only the kabupaten/kota is known: {best.kode}"
            return Resolution(None, 0.0, reason, candidates)

        # A tie: the best and its rivals within MARGIN of it, minus those that
        # merely contain another tied one.
        tied = [best, *(h for h in rivals if h.evidence > best.evidence - MARGIN + 1e-9)]
        tied = [h for h in tied if not any(contains(h, o) for o in tied if o is not h)]
        kecs = {
            kec_of[h.place] if h.level == "kel" else (h.kode if h.level == "kec" else None)
            for h in tied
        }
        kecamatan = next(iter(kecs)) if len(kecs) == 1 else None
        shown = ", ".join(describe(h) for h in tied[:5])
        more = f" and {len(tied) - 5} more" if len(tied) > 5 else ""
        reason = f"ambiguous: {len(tied)} candidates within {MARGIN:.2f}: {shown}{more}"
        if kecamatan is not None:
            reason += f"; all in kecamatan {kecamatan}"
        confidence = max(h.score for h in tied) if kecamatan is not None else 0.0
        return Resolution(None, confidence, reason, candidates, kecamatan)


# --------------------------------------------------------------------------
# Kemendagri rows
# --------------------------------------------------------------------------

_KODE = re.compile(r"^\d{2}\.\d{2}(?:\.\d{2}(?:\.\d{4})?)?$")


def places_from_wilayah_rows(rows: Iterable[tuple[str, str]]) -> list[Place]:
    """Make places from Kemendagri ``(kode, nama)`` rows of levels 2 to 4.

    ``PP.KK`` is a kabupaten/kota, ``PP.KK.CC`` a kecamatan and
    ``PP.KK.CC.DDDD`` a kelurahan/desa; provinces and malformed codes are
    skipped. SQL-doubled apostrophes (``Ba''u``) are undoubled. The official
    name is kept: the :class:`Gazetteer` drops ``Kota Administrasi``,
    ``Kabupaten`` etc. from kabupaten/kota names when matching.
    """
    kinds: dict[int, PlaceKind] = {2: "kabkota", 3: "kecamatan", 4: "kelurahan"}
    out: list[Place] = []
    for kode, nama in rows:
        kode = kode.strip()
        if not _KODE.match(kode):
            continue
        parts = kode.split(".")
        name = " ".join(nama.replace("''", "'").split())
        out.append(Place(kode, name, kinds[len(parts)], ".".join(parts[:-1])))
    return out

"""Indonesian social-media text normalisation.

The same function runs at training and at prediction time, so whatever the
model learns is about words, not about how the corpus was stored. The
ibrohim2019 corpus was stored as Python byte-string reprs (literal ``\\xf0\\x9f``
escapes, ``\\n``, a stray closing quote) with user names, links and retweet
markers replaced by ``USER``, ``URL`` and ``RT``. Those placeholders are
correlated with the labels in that corpus (58% of tweets carry ``USER``, and
they are hate speech 47% of the time against 35% without), so letting them
through would teach the model a quirk that no real post has. Here they, and
their real-world counterparts (``@handles``, links, ``RT @x:``), are removed;
escapes are decoded to the characters they stand for, so an emoji in the corpus
and an emoji in a live post become the same token.

Steps, in order:

1. decode literal ``\\xNN`` runs (UTF-8 bytes), ``\\uXXXX`` (with surrogate
   pairs) and ``\\n``/``\\t``/``\\r``/``\\'``/``\\/`` escapes, HTML entities, and
   UTF-8 that was mis-decoded as Latin-1 where that is reversible;
2. drop ``USER``/``@handle``, ``URL``/links and retweet markers; split
   hashtags into words (``#2019GantiPresiden`` -> ``0 ganti presiden``);
3. lower-case and tokenise into words, ``!``/``?`` runs and emoji;
4. per word: slang dictionary (``yg`` -> ``yang``), reduplication
   (``orang2`` -> ``orang orang``), numbers to ``0``, leetspeak inside words
   (``g4nti`` -> ``ganti``), letter runs (``bangsaaat`` -> ``bangsat``: runs of
   three or more become two, then one if that makes a known word), laughter
   (``wkwkwkwk`` -> ``wkwk``).

The built-in slang list below is small and hand-written; the full alay
dictionary shipped with the corpus (``new_kamusalay.csv``, 15k entries) is loaded
from the data directory with :func:`load_slang` and stored in each trained model,
so a model normalises exactly as it did in training.
"""

from __future__ import annotations

import csv
import html
import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from .errors import DataError

# Hand-written fallback: frequent Indonesian chat abbreviations and spellings.
# Used by normalize() when no dictionary is given, and merged under the loaded one.
FALLBACK_SLANG: dict[str, str] = {
    "yg": "yang",
    "yng": "yang",
    "dgn": "dengan",
    "dg": "dengan",
    "dr": "dari",
    "dri": "dari",
    "utk": "untuk",
    "untk": "untuk",
    "buat": "buat",
    "tdk": "tidak",
    "tak": "tidak",
    "gak": "tidak",
    "ga": "tidak",
    "gk": "tidak",
    "nggak": "tidak",
    "ngga": "tidak",
    "enggak": "tidak",
    "engga": "tidak",
    "kagak": "tidak",
    "ndak": "tidak",
    "gausah": "tidak usah",
    "gapapa": "tidak apa apa",
    "blm": "belum",
    "blum": "belum",
    "udh": "sudah",
    "udah": "sudah",
    "sdh": "sudah",
    "dah": "sudah",
    "jgn": "jangan",
    "jngn": "jangan",
    "jg": "juga",
    "jga": "juga",
    "aja": "saja",
    "aj": "saja",
    "sj": "saja",
    "sja": "saja",
    "krn": "karena",
    "karna": "karena",
    "krna": "karena",
    "tp": "tapi",
    "tpi": "tapi",
    "kl": "kalau",
    "klo": "kalau",
    "kalo": "kalau",
    "kalu": "kalau",
    "bgt": "banget",
    "bngt": "banget",
    "bener": "benar",
    "bnr": "benar",
    "emg": "memang",
    "emang": "memang",
    "mmg": "memang",
    "sy": "saya",
    "sya": "saya",
    "gw": "saya",
    "gue": "saya",
    "gua": "saya",
    "w": "saya",
    "aku": "saya",
    "ak": "saya",
    "lo": "kamu",
    "lu": "kamu",
    "loe": "kamu",
    "elo": "kamu",
    "elu": "kamu",
    "lw": "kamu",
    "km": "kamu",
    "kmu": "kamu",
    "kau": "kamu",
    "ente": "kamu",
    "kalian": "kalian",
    "kt": "kita",
    "bs": "bisa",
    "bsa": "bisa",
    "org": "orang",
    "orng": "orang",
    "pd": "pada",
    "pda": "pada",
    "sm": "sama",
    "ama": "sama",
    "sma": "sama",
    "trs": "terus",
    "trus": "terus",
    "lg": "lagi",
    "lgi": "lagi",
    "skrg": "sekarang",
    "skrng": "sekarang",
    "sekrg": "sekarang",
    "bkn": "bukan",
    "bukn": "bukan",
    "dpt": "dapat",
    "dapet": "dapat",
    "hrs": "harus",
    "msh": "masih",
    "masi": "masih",
    "mau": "mau",
    "mo": "mau",
    "pengen": "ingin",
    "pgn": "ingin",
    "pingin": "ingin",
    "knp": "kenapa",
    "knpa": "kenapa",
    "gmn": "bagaimana",
    "gimana": "bagaimana",
    "gmna": "bagaimana",
    "bgmn": "bagaimana",
    "ap": "apa",
    "apaan": "apa",
    "sblm": "sebelum",
    "stlh": "setelah",
    "sbg": "sebagai",
    "spt": "seperti",
    "kyk": "kayak",
    "kek": "kayak",
    "kyak": "kayak",
    "bikin": "membuat",
    "bkin": "membuat",
    "liat": "lihat",
    "lht": "lihat",
    "tau": "tahu",
    "taw": "tahu",
    "tw": "tahu",
    "ngerti": "mengerti",
    "pake": "pakai",
    "pke": "pakai",
    "doang": "saja",
    "ampe": "sampai",
    "sampe": "sampai",
    "smp": "sampai",
    "dlm": "dalam",
    "dl": "dulu",
    "dlu": "dulu",
    "klw": "kalau",
    "thn": "tahun",
    "th": "tahun",
    "bln": "bulan",
    "hr": "hari",
    "mlm": "malam",
    "sdg": "sedang",
    "lagi2": "lagi lagi",
    "jd": "jadi",
    "jdi": "jadi",
    "ttg": "tentang",
    "tentang": "tentang",
    "bpk": "bapak",
    "pak": "bapak",
    "bu": "ibu",
    "ortu": "orang tua",
    "pemda": "pemerintah daerah",
    "pemkot": "pemerintah kota",
    "pilgub": "pemilihan gubernur",
    "pilpres": "pemilihan presiden",
    "pileg": "pemilihan legislatif",
    "capres": "calon presiden",
    "cawapres": "calon wakil presiden",
    "caleg": "calon legislatif",
    "cagub": "calon gubernur",
    "paslon": "pasangan calon",
    "tps": "tempat pemungutan suara",
    "nyoblos": "mencoblos",
    "golput": "golongan putih",
    "presidn": "presiden",
    "presdien": "presiden",
    "pemerinth": "pemerintah",
    "rakyt": "rakyat",
    "negri": "negeri",
    "anjg": "anjing",
    "anjir": "anjing",
    "anjrit": "anjing",
    "njir": "anjing",
    "njing": "anjing",
    "asu": "anjing",
    "bgst": "bangsat",
    "bngst": "bangsat",
    "bangsad": "bangsat",
    "bego": "bodoh",
    "goblog": "goblok",
    "gblk": "goblok",
    "tolol": "tolol",
    "kampret": "kampret",
    "kafir": "kafir",
    "kapir": "kafir",
    "cebong": "cebong",
    "kampang": "kampang",
    "brengsek": "berengsek",
    "bacot": "bacot",
    "bct": "bacot",
    "tai": "tahi",
    "taik": "tahi",
    "ngentot": "ngentot",
    "ngntd": "ngentot",
    "kntl": "kontol",
    "mmk": "memek",
    "bngsat": "bangsat",
    "jancok": "jancuk",
    "dancok": "jancuk",
    "cok": "jancuk",
}

# Words that are correct as they stand, for the letter-run rule (``maaf``, ``saat``
# keep their double vowels). The loaded dictionary adds its thousands of formal words.
_FALLBACK_WORDS = frozenset(
    """
    maaf saat taat jumat sahabat tiap tiga dua satu negara bangsa agama islam kristen
    katolik hindu buddha konghucu cina china tionghoa arab jawa sunda batak betawi
    madura bugis papua ambon pribumi asing antek komunis pki ulama ustaz habib kyai
    masjid gereja pura vihara presiden gubernur bupati walikota camat lurah polisi
    pemilu pilkada kampanye partai demo rusuh bakar bunuh serang usir hancurkan
    hajar bantai ganyang saudara rakyat pemerintah korupsi koruptor hoaks hoax fitnah
    bodoh gila setan iblis babi anjing monyet sampah bangsat goblok tolol idiot dungu
    banget aamiin amin allah tuhan yesus nabi
    """.split()  # noqa: SIM905 -- a word list reads better as text
)

_ESCAPED_BYTES = re.compile(r"(?:\\x[0-9a-fA-F]{2})+")
_ESCAPED_UNICODE = re.compile(r"(?:\\u[0-9a-fA-F]{4})+")
_SIMPLE_ESCAPES = re.compile(r"\\[nrt]|\\(['\"/\\])")
_URL = re.compile(r"(?:https?://|www\.)\S+|\bURL\b", re.IGNORECASE)
# "RT" is also Rukun Tetangga ("Ketua RT 05"), so only a retweet marker goes:
# at the very start, or right before a user name.
_RETWEET = re.compile(r"^\W*RT\b:?|\bRT\b\W{0,2}(?=@|USER\b)")
_MENTION = re.compile(r"@\w+:?|\bUSER\b:?")
_HASHTAG = re.compile(r"#+(\w+)")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Za-z])(?=[0-9])|(?<=[0-9])(?=[A-Za-z])")
_LATIN1_BLOCK = re.compile(r"[\u0080-\u00ff]")
_MOJIBAKE = re.compile(r"[\u00c2-\u00f4][\u0080-\u00bf?]+")
# Emoji and pictographs: each becomes its own token (the corpus' escapes decode to these).
_EMOJI = "\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff"
# Words, emoji, and runs of punctuation (commas and colons mark a formal register,
# "..." and "!!" a heated one). Quotes are left out: half of the corpus ends with a
# stray "'" from its byte-string storage, and those tweets are abusive 58% of the
# time against 18% for the rest -- a storage quirk no live post shares.
_TOKEN = re.compile(rf"[^\W_]+|[{_EMOJI}]|[^\w\s{_EMOJI}'`\u2018\u2019]+")
_IS_EMOJI = re.compile(rf"[{_EMOJI}]")
_DIGITS = re.compile(r"[0-9]+")
_ALPHA_NUM_SPLIT = re.compile(r"[0-9]+|[^\W\d_]+")
_LEET = str.maketrans({"4": "a", "3": "e", "1": "i", "0": "o", "7": "t", "5": "s"})
_LEET_INSIDE = re.compile(r"(?<=[a-z])[013457]+(?=[a-z])")
_RUN3 = re.compile(r"(.)\1{2,}")
_RUN2 = re.compile(r"(.)\1+")
_LAUGH = re.compile(r"^([a-z]{2,3}?)\1+[a-z]?$")

NUMBER_TOKEN = "0"  # noqa: S105 -- not a password


def _decode_bytes(match: re.Match[str]) -> str:
    raw = bytes.fromhex(match.group(0).replace("\\x", ""))
    # Tweets were cut mid-character ("b\xe2\x80\xa6' ..."): drop the broken tail.
    return " " + raw.decode("utf-8", "ignore") + " "


def _decode_unicode(match: re.Match[str]) -> str:
    chars = "".join(chr(int(h, 16)) for h in match.group(0).split("\\u")[1:])
    return " " + chars.encode("utf-16", "surrogatepass").decode("utf-16", "ignore") + " "


def _simple_escape(match: re.Match[str]) -> str:
    return match.group(1) or " "


def _split_hashtag(match: re.Match[str]) -> str:
    return " " + _CAMEL.sub(" ", match.group(1)) + " "


def unescape(text: str) -> str:
    """Decode the storage artefacts of scraped tweets into the characters they stand for."""
    if "\\" in text:
        text = _ESCAPED_BYTES.sub(_decode_bytes, text)
        text = _ESCAPED_UNICODE.sub(_decode_unicode, text)
        text = _SIMPLE_ESCAPES.sub(_simple_escape, text)
    if "&" in text:
        text = html.unescape(text)
    if _LATIN1_BLOCK.search(text):
        # UTF-8 read as Latin-1 ("kitaÂ²", "â€œ") is reversible when every byte survived.
        try:
            text = text.encode("latin-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            # Irreversible: the corpus replaced lost bytes by "?" ("â??", "ð??").
            text = _MOJIBAKE.sub(" ", text)
    return text


class Normalizer:
    """Callable text normaliser with its own slang dictionary.

    Parameters
    ----------
    slang : mapping of str to str, optional
        Informal word -> formal replacement (may be several words). Keys must be
        lower-case ``[a-z0-9]+``; others are ignored. Merged over
        :data:`FALLBACK_SLANG`. ``None`` uses the fallback alone.
    fallback : bool
        Start from :data:`FALLBACK_SLANG` (a saved model passes ``False``: its
        stored dictionary already holds the fallback it was trained with).
    cache_size : int
        Number of distinct words whose normalisation is memoised.
    """

    def __init__(
        self,
        slang: Mapping[str, str] | None = None,
        *,
        fallback: bool = True,
        cache_size: int = 200_000,
    ):
        merged = dict(FALLBACK_SLANG) if fallback else {}
        for key, value in (slang or {}).items():
            if re.fullmatch(r"[a-z0-9]+", key) and value.strip():
                merged[key] = " ".join(value.lower().split())
        self.slang: dict[str, str] = merged
        words = set(_FALLBACK_WORDS)
        for value in merged.values():
            words.update(value.split())
        self.words: frozenset[str] = frozenset(words)
        self._word = lru_cache(maxsize=cache_size)(self._normalize_word)

    def __call__(self, text: str) -> str:
        return " ".join(self.tokens(text))

    def tokens(self, text: str) -> list[str]:
        """Normalised tokens of ``text`` (what :meth:`__call__` joins with spaces)."""
        return self.views(text)[1]

    def views(self, text: str) -> tuple[list[str], list[str]]:
        """Surface and normalised tokens of ``text``.

        The surface view is the cleaned post (escapes decoded, placeholders gone,
        lower-cased, tokenised) with words as written; the normalised view has
        each word through the slang, number and spelling rules. The classifier
        reads both: the spelling someone chooses ("anjir", "bangsaaat") says
        something that the normalised form alone loses.
        """
        surface = self.surface(text)
        normalised: list[str] = []
        for token in surface:
            if token[0].isalnum():
                normalised.extend(self._word(token))
            else:
                normalised.append(token)
        return surface, normalised

    def surface(self, text: str) -> list[str]:
        """Cleaned, lower-cased tokens of ``text`` before any word is rewritten."""
        text = unescape(text)
        text = _URL.sub(" ", text)
        text = _RETWEET.sub(" ", text)
        text = _MENTION.sub(" ", text)
        if "#" in text:
            text = _HASHTAG.sub(_split_hashtag, text)
        text = text.replace("\u00b2", "2").lower()
        out: list[str] = []
        previous_emoji = ""
        for token in _TOKEN.findall(text):
            first = token[0]
            if _IS_EMOJI.match(first):
                # A row of the same emoji says no more than one of them.
                if token != previous_emoji:
                    out.append(token)
                previous_emoji = token
                continue
            previous_emoji = ""
            if not first.isalnum():
                if "!" in token:
                    out.append("!")
                elif "?" in token:
                    out.append("?")
                elif token.startswith(("..", "\u2026")):
                    out.append("...")
                else:
                    out.append(first)
            elif not _LATIN1_BLOCK.search(token):
                out.append(token)
            else:
                # "café" -> "cafe"; what cannot be folded to ASCII is mojibake ("ð").
                folded = unicodedata.normalize("NFKD", token).encode("ascii", "ignore").decode()
                if folded and len(folded) == len(token):
                    out.append(folded)
        return out

    def _known(self, word: str) -> bool:
        return word in self.words or word in self.slang

    def _normalize_word(self, word: str) -> tuple[str, ...]:
        if word in self.slang:
            return tuple(NUMBER_TOKEN if w.isdigit() else w for w in self.slang[word].split())
        if word.isdigit():
            return (NUMBER_TOKEN,)
        if word.isalpha() is False and word.isalnum():
            if len(word) > 2 and word.endswith("2") and word[:-1].isalpha():
                # Indonesian reduplication: "orang2" is "orang-orang".
                base = self._normalize_word(word[:-1])
                return base + base
            word = _LEET_INSIDE.sub(lambda m: m.group(0).translate(_LEET), word)
            if not word.isalpha():
                parts: list[str] = []
                for piece in _ALPHA_NUM_SPLIT.findall(word):
                    parts.extend(self._normalize_word(piece))
                return tuple(parts)
        if not word.isascii():
            return (word,)
        laugh = _LAUGH.match(word)
        if laugh and len(word) >= 6:
            return (laugh.group(1) * 2,)
        if _RUN3.search(word):
            word = _RUN3.sub(r"\1\1", word)
            if not self._known(word):
                single = _RUN2.sub(r"\1", word)
                if self._known(single):
                    word = single
        elif not self._known(word) and _RUN2.search(word):
            single = _RUN2.sub(r"\1", word)
            if single in self.slang:
                word = single
        if word in self.slang:
            return tuple(self.slang[word].split())
        return (word,)


_DEFAULT = Normalizer()


def normalize(text: str, *, normalizer: Normalizer | None = None) -> str:
    """Normalise one Indonesian social-media post.

    Parameters
    ----------
    text : str
        Raw post, as typed or as stored in the ibrohim2019 corpus.
    normalizer : Normalizer, optional
        Use this one (e.g. ``TextClassifier.normalizer_``, which carries the
        full alay dictionary); by default the built-in fallback dictionary.

    Returns
    -------
    str
        Lower-case tokens separated by single spaces.

    Examples
    --------
    >>> normalize("RT USER: Dasar bangsaaat!!! yg kayak gini \\xf0\\x9f\\x98\\xa1 URL")
    'dasar bangsat ! yang kayak gini 😡'
    """
    return (normalizer or _DEFAULT)(text)


def load_slang(path: str | Path) -> dict[str, str]:
    """Read an alay dictionary: CSV of ``informal,formal`` rows (Latin-1, no header).

    Raises
    ------
    DataError
        The file is missing or a row does not have two columns (with file:line).
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"{path}: cannot read the slang dictionary: {exc.strerror}") from None
    out: dict[str, str] = {}
    for number, row in enumerate(csv.reader(raw.decode("latin-1").splitlines()), start=1):
        if not row:
            continue
        if len(row) != 2:
            raise DataError(
                f"{path}:{number}: expected 2 columns (informal,formal), got {len(row)}"
            )
        out[row[0].strip().lower()] = row[1].strip()
    return out

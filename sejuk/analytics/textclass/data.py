"""Labels and the ibrohim2019 corpus readers.

The corpus (Ibrohim & Budi 2019, CC BY-NC-SA 4.0) is a Latin-1 CSV with a
``Tweet`` column and twelve 0/1 label columns. :data:`LABELS` are this
library's names for them, plus ``sara`` (hate speech about religion or race,
``HS_Religion or HS_Race``), the SARA category that matters for elections.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .errors import DataError

#: Label names, in the column order of every score matrix.
LABELS: tuple[str, ...] = (
    "hate_speech",
    "abusive",
    "sara",
    "hs_individual",
    "hs_group",
    "hs_religion",
    "hs_race",
    "hs_physical",
    "hs_gender",
    "hs_other",
    "hs_weak",
    "hs_moderate",
    "hs_strong",
)

#: What each label means (for the model card and the docs).
LABEL_DESCRIPTIONS: dict[str, str] = {
    "hate_speech": "hate speech (HS)",
    "abusive": "abusive language (Abusive), with or without hate speech",
    "sara": "hate speech about religion or race/ethnicity (HS_Religion or HS_Race)",
    "hs_individual": "hate speech aimed at an individual (HS_Individual)",
    "hs_group": "hate speech aimed at a group (HS_Group)",
    "hs_religion": "hate speech about religion or creed (HS_Religion)",
    "hs_race": "hate speech about race or ethnicity (HS_Race)",
    "hs_physical": "hate speech about physique or disability (HS_Physical)",
    "hs_gender": "hate speech about gender or sexual orientation (HS_Gender)",
    "hs_other": "other invective or slander (HS_Other)",
    "hs_weak": "weak hate speech (HS_Weak)",
    "hs_moderate": "moderate hate speech (HS_Moderate)",
    "hs_strong": "strong hate speech (HS_Strong)",
}

SOURCE_COLUMNS: tuple[str, ...] = (
    "HS",
    "Abusive",
    "HS_Individual",
    "HS_Group",
    "HS_Religion",
    "HS_Race",
    "HS_Physical",
    "HS_Gender",
    "HS_Other",
    "HS_Weak",
    "HS_Moderate",
    "HS_Strong",
)
# Column of each label in a source row (``sara`` is derived).
_SOURCE_INDEX: dict[str, int] = {
    "hate_speech": 0,
    "abusive": 1,
    "hs_individual": 2,
    "hs_group": 3,
    "hs_religion": 4,
    "hs_race": 5,
    "hs_physical": 6,
    "hs_gender": 7,
    "hs_other": 8,
    "hs_weak": 9,
    "hs_moderate": 10,
    "hs_strong": 11,
}

CORPUS_FILE = "re_dataset.csv"
SLANG_FILE = "new_kamusalay.csv"
CORPUS_SOURCE = (
    "Ibrohim & Budi (2019), Multi-label Hate Speech and Abusive Language Detection in "
    "Indonesian Twitter, ALW3; okkyibrohim/id-multi-label-hate-speech-and-abusive-language-"
    "detection @ be98de98e974b65838d2b5145ee2c89e9bf53a6b"
)
CORPUS_LICENCE = "CC BY-NC-SA 4.0"
FOLDS_SOURCE = (
    "indolem/IndoBERTweet @ 371dde282d79b96bab9804b7e6794dee08dd4606, hate_speech_HS1/data/"
)


@dataclass
class Corpus:
    """Texts with their 0/1 label matrix (columns in :data:`LABELS` order).

    Attributes
    ----------
    texts : list of str
        Raw texts as stored (escapes and placeholders still in).
    y : ndarray of shape (n, len(LABELS)), dtype int8
    lines : list of int
        CSV line number of each text (for error messages and audits).
    source : str
        Path it was read from.
    """

    texts: list[str]
    y: np.ndarray
    lines: list[int] = field(default_factory=list)
    source: str = ""

    def __post_init__(self) -> None:
        self.y = np.asarray(self.y, dtype=np.int8)
        if self.y.ndim != 2 or self.y.shape != (len(self.texts), len(LABELS)):
            raise ValueError(
                f"y must have shape ({len(self.texts)}, {len(LABELS)}), got {self.y.shape}"
            )
        if not self.lines:
            self.lines = list(range(2, len(self.texts) + 2))
        if len(self.lines) != len(self.texts):
            raise ValueError("lines must have one entry per text")
        if not set(np.unique(self.y)) <= {0, 1}:
            raise ValueError("labels must be 0 or 1")

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, index: np.ndarray | list[int]) -> Corpus:
        idx = np.asarray(index, dtype=np.int64)
        return Corpus(
            [self.texts[i] for i in idx],
            self.y[idx],
            [self.lines[i] for i in idx],
            self.source,
        )

    def label(self, name: str) -> np.ndarray:
        return self.y[:, LABELS.index(name)]


def corpus_dir(data_dir: str | Path) -> Path:
    """The ibrohim2019 folder, given it or the data root above it (``../shared/data``)."""
    base = Path(data_dir)
    for candidate in (base, base / "ibrohim2019", base / "nlp" / "ibrohim2019"):
        if (candidate / CORPUS_FILE).is_file():
            return candidate
    raise DataError(
        f"{base}: no {CORPUS_FILE} here nor in nlp/ibrohim2019/ below it "
        "(pass the data directory, e.g. ../shared/data, or fetch it with `sejuk data fetch`)"
    )


def folds_dir(data_dir: str | Path) -> Path:
    """The ibrohim2019-folds folder, given it or the data root above it."""
    base = Path(data_dir)
    for candidate in (base, base / "ibrohim2019-folds", base / "nlp" / "ibrohim2019-folds"):
        if (candidate / "train0.csv").is_file():
            return candidate
    raise DataError(f"{base}: no train0.csv here nor in nlp/ibrohim2019-folds/ below it")


def read_labelled_csv(path: str | Path, *, limit: int | None = None) -> Corpus:
    """Read one CSV in the ibrohim2019 layout (Latin-1, ``Tweet`` + 12 label columns).

    Raises
    ------
    DataError
        Unreadable file, wrong header, or a row with a wrong column count or a label
        that is not 0/1; the message names ``file:line``.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"{path}: cannot read: {exc.strerror}") from None
    # Latin-1 never fails to decode; the tweets' UTF-8 was stored as literal escapes.
    reader = csv.reader(io.StringIO(raw.decode("latin-1"), newline=""))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise DataError(f"{path}:1: {exc}") from None
    if header is None:
        raise DataError(f"{path}:1: empty file")
    header = [h.strip().lstrip("\ufeff") for h in header]
    if not header or header[0] != "Tweet" or any(c not in header for c in SOURCE_COLUMNS):
        raise DataError(
            f"{path}:1: expected the columns Tweet,{','.join(SOURCE_COLUMNS)}; got {','.join(header)}"
        )
    positions = [header.index(c) for c in SOURCE_COLUMNS]
    texts: list[str] = []
    rows: list[list[int]] = []
    lines: list[int] = []
    religion, race = positions[4], positions[5]
    for row in _rows(reader, path):
        line = reader.line_num
        if not row:
            continue
        if len(row) != len(header):
            raise DataError(f"{path}:{line}: expected {len(header)} columns, got {len(row)}")
        try:
            values = [int(row[p]) for p in positions]
            sara = int(row[religion]) | int(row[race])
        except ValueError:
            raise DataError(f"{path}:{line}: a label is not 0 or 1") from None
        texts.append(row[0])
        rows.append([values[_SOURCE_INDEX[n]] if n != "sara" else sara for n in LABELS])
        lines.append(line)
        if limit is not None and len(texts) >= limit:
            break
    y = np.array(rows, dtype=np.int8).reshape(len(texts), len(LABELS))
    if not set(np.unique(y)) <= {0, 1}:
        bad = int(np.argwhere((y != 0) & (y != 1))[0, 0])
        raise DataError(f"{path}:{lines[bad]}: a label is not 0 or 1")
    return Corpus(texts, y, lines, str(path))


def _rows(reader: Any, path: Path) -> Iterator[list[str]]:
    """The reader's rows, a malformed one (e.g. a field over the csv size limit) a DataError."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise DataError(f"{path}:{reader.line_num}: {exc}") from None
        yield row


def load_ibrohim(data_dir: str | Path, *, limit: int | None = None) -> Corpus:
    """Load ``re_dataset.csv`` of ibrohim2019 (all 13,169 rows, duplicates included).

    Parameters
    ----------
    data_dir : path
        The ibrohim2019 folder or the data root above it.
    limit : int, optional
        Read only the first ``limit`` rows (tests).
    """
    return read_labelled_csv(corpus_dir(data_dir) / CORPUS_FILE, limit=limit)


def load_fold(data_dir: str | Path, fold: int, part: str) -> Corpus:
    """One part (``train``, ``dev`` or ``test``) of one IndoBERTweet fold (0-4)."""
    if part not in ("train", "dev", "test") or fold not in range(5):
        raise ValueError(f"no fold part {part}{fold}")
    return read_labelled_csv(folds_dir(data_dir) / f"{part}{fold}.csv")


def deduplicate(corpus: Corpus) -> Corpus:
    """Keep the first row of each distinct text, so duplicates cannot straddle a split.

    Labels of the (21) texts that appear with different labels are OR-ed: a
    text any annotator pass marked hateful is kept as hateful.
    """
    first: dict[str, int] = {}
    y = corpus.y.copy()
    keep: list[int] = []
    for i, text in enumerate(corpus.texts):
        j = first.setdefault(text, i)
        if j == i:
            keep.append(i)
        else:
            y[j] |= corpus.y[i]
    merged = Corpus(corpus.texts, y, corpus.lines, corpus.source)
    return merged.subset(keep)

"""Django-side helpers around the text classifier: where the model lives, load it once.

``ensure_classifier()`` is what ``sejuk demo`` calls on its first run (train with a
progress bar on stderr if the model is missing, then load); ``get_classifier()``
is what request handlers and tasks call (loaded once per process, reloaded when a
new model is saved).
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from tqdm import tqdm

from sejuk.analytics.textclass import TextClassifier, ensure_model

MODEL_SUBDIR = "textclass"

_lock = threading.Lock()
_cached: tuple[Path, tuple[int, int], TextClassifier] | None = None


def model_dir() -> Path:
    """``SEJUK_MODEL_DIR/textclass`` (by default ``var/models/textclass``, outside git)."""
    return Path(settings.SEJUK_MODEL_DIR) / MODEL_SUBDIR


class ProgressBar:
    """``progress(step, total, message)`` drawn as a tqdm bar on a text stream."""

    def __init__(self, stream: IO[str], desc: str):
        self.stream = stream
        self.desc = desc
        self.bar: tqdm | None = None

    def __call__(self, step: int, total: int, message: str) -> None:
        if self.bar is None:
            self.bar = tqdm(total=total, desc=self.desc, file=self.stream, unit="step")
        self.bar.total = total
        self.bar.n = step
        self.bar.set_postfix_str(message, refresh=False)
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def ensure_classifier(
    *, stream: IO[str] | None = None, seed: int = 0, **train_kwargs: Any
) -> TextClassifier:
    """Load the classifier, training it first (about a minute) if there is none yet.

    ``train_kwargs`` go to :func:`~sejuk.analytics.textclass.train_model` (``limit``
    for tests).

    Raises
    ------
    FileNotFoundError
        No model and no ``SEJUK_DATA_DIR`` to train one from.
    sejuk.analytics.textclass.DataError
        The corpus in the data directory cannot be read.
    """
    data_dir = settings.SEJUK_DATA_DIR
    target = model_dir()
    if data_dir is None:
        return TextClassifier.load(target)  # ModelNotFound says how to train one
    bar = ProgressBar(stream or sys.stderr, "training the text classifier")
    try:
        return ensure_model(data_dir, target, seed=seed, progress=bar, **train_kwargs)
    finally:
        bar.close()


def get_classifier() -> TextClassifier:
    """The saved classifier, loaded once per process and again after a new ``save``.

    Raises :class:`~sejuk.analytics.textclass.ModelNotFound` if none was trained.
    """
    global _cached
    target = model_dir()
    card = target / "card.json"
    with _lock:
        try:
            info = card.stat()
            # save() swaps in a new directory: a new inode even within one clock tick.
            stamp = (info.st_ino, info.st_mtime_ns)
        except FileNotFoundError:
            stamp = (-1, -1)
        if _cached is None or _cached[0] != target or _cached[1] != stamp:
            _cached = (target, stamp, TextClassifier.load(target))
        return _cached[2]

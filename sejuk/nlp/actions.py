"""Django-side helpers around the text classifier: where the model lives, train it once.

``ensure_classifier()`` is what ``sejuk demo`` calls on its first run (train with a
progress bar on stderr if the model is missing, then load). Request handlers and
tasks use :func:`sejuk.monitoring.classifier.get_classifier` (loaded once per
process, reloaded when a new model is saved).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from tqdm import tqdm

from sejuk.analytics.textclass import TextClassifier, ensure_model

MODEL_SUBDIR = "textclass"


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

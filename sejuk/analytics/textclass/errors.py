"""Exceptions of the text classifier library."""

from __future__ import annotations


class ModelNotFound(FileNotFoundError):
    """The model directory is missing or holds no complete model.

    A :class:`FileNotFoundError`, so callers that treat "no model yet" like a
    missing file keep working; the message says which file is missing and how
    to make one (``sejuk nlp train``).
    """


class ModelError(ValueError):
    """A model directory exists but cannot be used (corrupt, wrong version)."""


class DataError(ValueError):
    """A training or evaluation file cannot be read; the message names file:line."""

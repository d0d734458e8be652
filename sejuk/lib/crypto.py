"""Encryption of personal data at rest (reporter names and contacts).

Fernet (AES-128-CBC + HMAC-SHA256) with the key from ``SEJUK_REPORTER_KEY``;
a zero-config install generates one into the state dir. Keys rotate by
listing the new key first and old keys after it (comma-separated): data is
encrypted with the first and decrypted with any.

``blind_index`` gives a keyed hash (HMAC-SHA256) of a normalised phone number,
so reports from one number can be rate-limited and linked without decrypting.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class DecryptionError(Exception):
    pass


@lru_cache(maxsize=4)
def _fernet(keys: str) -> MultiFernet:
    return MultiFernet([Fernet(k.strip().encode()) for k in keys.split(",") if k.strip()])


def _keys() -> str:
    from django.conf import settings

    return settings.SEJUK_REPORTER_KEYS


def encrypt(value: str) -> str:
    if not value:
        return ""
    return _fernet(_keys()).encrypt(value.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet(_keys()).decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, ValueError) as exc:
        raise DecryptionError("cannot decrypt: wrong or rotated-out key") from exc


def normalise_phone(raw: str) -> str:
    """Indonesian numbers to E.164 digits: 0812… / +62812… / 62812… -> 62812…"""
    digits = re.sub(r"\D", "", raw or "")
    if digits.startswith("0"):
        digits = "62" + digits[1:]
    return digits


def blind_index(value: str, purpose: str = "contact") -> str:
    if not value:
        return ""
    first_key = _keys().split(",")[0].strip().encode()
    return hmac.new(first_key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def generate_key() -> str:
    return Fernet.generate_key().decode("ascii")

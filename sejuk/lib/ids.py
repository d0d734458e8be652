"""Primary keys typed into query strings, form fields and CSV cells."""

from __future__ import annotations

import re

_DIGITS = re.compile(r"[0-9]{1,18}")


def parse_id(value: str | None) -> int | None:
    """``value`` as a primary key: ASCII digits that fit the database's
    integer, else None. (``"²".isdigit()`` is true, yet ``int()`` refuses it,
    and SQLite overflows past 2**63.)"""
    value = (value or "").strip()
    return int(value) if _DIGITS.fullmatch(value) else None

"""The UI is Indonesian first: every message has a translation, compiled."""

from __future__ import annotations

import re
from pathlib import Path

LOCALE = Path(__file__).resolve().parents[2] / "sejuk" / "locale" / "id" / "LC_MESSAGES"


def _entries(po: str, *, with_context: bool = True) -> list[tuple[str, str, bool]]:
    """(msgid, msgstr, fuzzy) of each entry; ``with_context=False`` leaves out the
    entries with a msgctxt (plain gettext cannot look those up)."""
    out = []
    for block in po.split("\n\n"):
        if not with_context and re.search(r"^msgctxt ", block, re.M):
            continue
        fuzzy = "#, fuzzy" in block
        ids = re.search(r'^msgid ((?:".*"\n?)+)', block, re.M)
        strs = re.search(r'^msgstr ((?:".*"\n?)+)', block, re.M)
        if not ids or not strs:
            continue

        def join(m):
            raw = "".join(re.findall(r'"(.*)"', m.group(1)))
            return raw.encode("latin-1", "backslashreplace").decode("unicode_escape")

        out.append((join(ids), join(strs), fuzzy))
    return out


def test_every_indonesian_message_is_translated_and_not_fuzzy():
    entries = [e for e in _entries((LOCALE / "django.po").read_text(encoding="utf-8")) if e[0]]
    assert len(entries) > 50
    untranslated = [msgid for msgid, msgstr, fuzzy in entries if not msgstr or fuzzy]
    assert untranslated == []


def test_the_compiled_catalogue_matches_the_source():
    """Every msgid of the .po translates through the compiled .mo (catches a stale .mo)."""
    from django.utils import translation

    po = (LOCALE / "django.po").read_text(encoding="utf-8")
    entries = [e for e in _entries(po, with_context=False) if e[0]]
    with translation.override("id"):
        stale = [
            msgid
            for msgid, msgstr, _ in entries
            if "%(" not in msgid and translation.gettext(msgid) != msgstr
        ]
    assert stale == []


def test_pages_render_in_indonesian(client_for, galur):
    body = client_for(galur).get("/").content.decode()
    assert "Kelurahan binaan saya" in body
    assert "Keluar" in body

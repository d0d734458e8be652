"""Where the index definition comes from: a versioned JSON file, never code.

Sejuk ships its definitions in ``sejuk/risk/data/indicators/``; the one in
use is ``DEFAULT_FILE`` unless the setting ``SEJUK_RISK_INDICATORS`` names
another file. Every stored score and assessment records the definition's
version; pages showing an old row look that version up in the shipped
directory (and the configured file), so renaming an indicator never breaks
history.
"""

from __future__ import annotations

import threading
from pathlib import Path

from django.conf import settings
from django.utils.translation import get_language

from sejuk.analytics.riskindex import IndexSpec, SpecError, text_for

INDICATOR_DIR = Path(__file__).resolve().parent / "data" / "indicators"
DEFAULT_FILE = INDICATOR_DIR / "ikp-ipkp-2024.1.json"

_lock = threading.Lock()
# path -> (mtime, spec): re-read when the file changes, without a restart.
_cache: dict[Path, tuple[float, IndexSpec]] = {}


def configured_path() -> Path:
    raw = getattr(settings, "SEJUK_RISK_INDICATORS", None)
    return Path(raw) if raw else DEFAULT_FILE


def _load(path: Path) -> IndexSpec:
    try:
        mtime = path.stat().st_mtime
    except OSError as exc:
        raise SpecError(f"{path}: cannot read ({exc.strerror or exc})") from None
    with _lock:
        cached = _cache.get(path)
        if cached is not None and cached[0] == mtime:
            return cached[1]
        spec = IndexSpec.load(path)
        _cache[path] = (mtime, spec)
        return spec


def current_spec() -> IndexSpec:
    """The definition in use (raises SpecError with file and path when it is invalid)."""
    return _load(configured_path())


def spec_for_version(version: str) -> IndexSpec | None:
    """The definition with ``version``: the configured one or a shipped one, else None."""
    current = current_spec()
    if current.version == version:
        return current
    for path in sorted(INDICATOR_DIR.glob("*.json")):
        try:
            spec = _load(path)
        except SpecError:
            continue
        if spec.version == version:
            return spec
    return None


def label(value) -> str:
    """A multilingual label in the active language (Indonesian first)."""
    return text_for(value, get_language() or settings.LANGUAGE_CODE)


def component_labels(spec: IndexSpec) -> dict[str, str]:
    """Labels of the indicators and signals of ``spec`` by code, in the active language."""
    out = {i.code: label(i.label) for i in spec.indicators}
    out.update({s.code: label(s.label) for s in spec.signals})
    return out

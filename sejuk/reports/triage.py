"""Urgency of a report: rules now, with a hook for a text classifier.

The rules are deliberately simple and readable by the people they serve: a
report is urgent when it describes violence or a crowd happening now, or a
threat to someone. ``settings.SEJUK_TRIAGE_CLASSIFIER`` may name a callable
``(text, category) -> {"urgency": "urgent"|"normal", "score": float}``; it can
raise urgency, never lower it (a missed emergency costs more than a false alarm).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.utils.module_loading import import_string

from sejuk.reports.models import Category, Urgency

VIOLENCE = (
    "bentrok", "tawuran", "ricuh", "rusuh", "kerusuhan", "keroyok", "dikeroyok", "pukul", "dipukul",
    "bacok", "tusuk", "senjata", "sajam", "celurit", "golok", "pistol", "bom", "bakar", "dibakar",
    "lempar batu", "luka", "berdarah", "tembak", "serang", "diserang", "amuk", "perang",
)  # fmt: skip
CROWD = (
    "massa",
    "kerumunan",
    "ratusan orang",
    "puluhan orang",
    "demo",
    "unjuk rasa",
    "konvoi",
    "geruduk",
)
THREAT = (
    "ancam",
    "diancam",
    "ancaman",
    "intimidasi",
    "teror",
    "dipaksa",
    "paksa",
    "culik",
    "sandera",
)
NOW = (
    "sekarang",
    "sedang",
    "saat ini",
    "barusan",
    "masih berlangsung",
    "tolong",
    "darurat",
    "cepat",
)


@lru_cache(maxsize=16)
def _any_of(words: tuple[str, ...]) -> re.Pattern:
    return re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + ")")


def _has(text: str, words: tuple[str, ...]) -> str | None:
    """The first of ``words`` (in list order) that starts a word of ``text``."""
    # One compiled search settles the common case (no match) at intake rates.
    if not _any_of(words).search(text):
        return None
    for w in words:
        if re.search(rf"\b{re.escape(w)}", text):
            return w
    return None


@dataclass(frozen=True)
class Triage:
    urgency: str
    reason: str


def rules(text: str, category: str) -> Triage:
    t = (text or "").lower()
    violence, crowd, threat, now = _has(t, VIOLENCE), _has(t, CROWD), _has(t, THREAT), _has(t, NOW)
    if violence and (now or crowd or category in (Category.CROWD, Category.INTIMIDATION)):
        return Triage(
            Urgency.URGENT, f"violence ({violence}) {'happening now' if now else 'reported'}"
        )
    if category == Category.CROWD and (crowd or now):
        return Triage(Urgency.URGENT, f"crowd or clash ({crowd or now})")
    if category == Category.INTIMIDATION and threat:
        return Triage(Urgency.URGENT, f"threat to a person ({threat})")
    if category == Category.SARA and (crowd or violence):
        return Triage(Urgency.URGENT, f"SARA incitement with {crowd or violence}")
    return Triage(Urgency.NORMAL, "no urgency rule matched")


@lru_cache(maxsize=1)
def _classifier(path: str):
    return import_string(path) if path else None


def triage(text: str, category: str) -> Triage:
    result = rules(text, category)
    classifier = _classifier(settings.SEJUK_TRIAGE_CLASSIFIER)
    if classifier is not None and result.urgency != Urgency.URGENT:
        try:
            out = classifier(text, category) or {}
        except Exception:  # noqa: BLE001 - a broken model must never block intake
            return result
        if out.get("urgency") == Urgency.URGENT:
            return Triage(
                Urgency.URGENT,
                out.get("reason") or f"text classifier (score {out.get('score', '?')})",
            )
    return result

"""The fact-check archive in the database, and its matcher cached per process.

The matcher (sejuk.analytics.claims.ClaimMatcher) is fitted on every active
FactCheck the first time it is needed, and refitted when the archive changes
(row count, newest id or newest update differ; checked at most every
``CHECK_SECONDS``). Fitting 600 claims takes about a second.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone

from sejuk.accounts import audit
from sejuk.accounts.models import AuditAction
from sejuk.analytics.claims import Claim, ClaimMatcher
from sejuk.monitoring.models import FactCheck

CHECK_SECONDS = 10.0
_lock = threading.Lock()
_state: dict = {"checked": -1e9, "version": None, "matcher": None, "ids": []}


def _version() -> tuple:
    agg = FactCheck.objects.filter(active=True).aggregate(
        n=Count("pk"), last=Max("pk"), updated=Max("updated_at")
    )
    return (agg["n"], agg["last"], agg["updated"])


def reset_cache() -> None:
    with _lock:
        _state.update(checked=-1e9, version=None, matcher=None, ids=[])


def matcher() -> tuple[ClaimMatcher | None, list[int]]:
    """The fitted matcher and the FactCheck id of each of its claims."""
    now = time.monotonic()
    if _state["matcher"] is not None and now - _state["checked"] < CHECK_SECONDS:
        return _state["matcher"], _state["ids"]
    version = _version()
    with _lock:
        _state["checked"] = now
        if _state["version"] == version:
            return _state["matcher"], _state["ids"]
        rows = list(
            FactCheck.objects.filter(active=True)
            .order_by("pk")
            .values_list("pk", "text", "verdict", "source", "title")
        )
        fitted = None
        if rows:
            claims = [Claim(text=t, verdict=v, source=s, title=ti) for _pk, t, v, s, ti in rows]
            fitted = ClaimMatcher().fit(claims)
        _state.update(version=version, matcher=fitted, ids=[r[0] for r in rows])
        return fitted, _state["ids"]


@dataclass(frozen=True)
class Match:
    id: int
    title: str
    verdict: str
    source: str
    url: str
    score: float

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "title": self.title,
            "verdict": self.verdict,
            "source": self.source,
            "url": self.url,
            "score": self.score,
        }


def match_texts(texts: Sequence[str], k: int = 3, min_score: float = 0.0) -> list[list[Match]]:
    """The closest archived claims of each text, best first."""
    fitted, ids = matcher()
    if fitted is None or not texts:
        return [[] for _ in texts]
    raw = fitted.match(list(texts), k=k, min_score=min_score)
    wanted = {ids[m.index] for row in raw for m in row}
    info = {
        f.pk: f
        for f in FactCheck.objects.filter(pk__in=wanted).only(
            "pk", "title", "verdict", "source", "url"
        )
    }
    out = []
    for row in raw:
        matches = []
        for m in row:
            f = info.get(ids[m.index])
            if f is not None:
                matches.append(Match(f.pk, f.title, f.verdict, f.source, f.url, m.score))
        out.append(matches)
    return out


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def as_dict(self) -> dict:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


FIELDS = ("text", "title", "verdict", "url", "checked_on")


def import_claims(claims: Sequence[Claim], *, user=None, label: str = "") -> ImportResult:
    """Insert or update claims by (source, ref), all in one transaction.

    Logged as one audit entry (bulk writes bypass the per-row audit)."""
    result = ImportResult()
    with transaction.atomic():
        existing = {}
        sources = {c.source for c in claims}
        for f in FactCheck.objects.filter(source__in=sources):
            existing[(f.source, f.ref)] = f
        new, changed = [], []
        seen = set()
        for c in claims:
            key = (c.source, c.ref)
            if key in seen:
                continue
            seen.add(key)
            values = {
                "text": c.text,
                "title": c.title[:300],
                "verdict": c.verdict,
                "url": c.url,
                "checked_on": c.date,
            }
            row = existing.get(key)
            if row is None:
                new.append(
                    FactCheck(source=c.source[:200], ref=c.ref[:100], created_by=user, **values)
                )
            elif any(getattr(row, k) != v for k, v in values.items()) or not row.active:
                for k, v in values.items():
                    setattr(row, k, v)
                row.active = True
                row.updated_at = timezone.now()
                changed.append(row)
            else:
                result.unchanged += 1
        FactCheck.objects.bulk_create(new, batch_size=500)
        FactCheck.objects.bulk_update(changed, [*FIELDS, "active", "updated_at"], batch_size=500)
        result.created, result.updated = len(new), len(changed)
        audit.log(
            AuditAction.IMPORT,
            object_type="monitoring.factcheck",
            object_repr=f"{label or 'claims'}: {result.created} created, {result.updated} updated",
            changes=result.as_dict(),
        )
    reset_cache()
    return result

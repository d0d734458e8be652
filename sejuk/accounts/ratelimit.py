"""Fixed-window rate limiting backed by the database.

The database is the one store shared by every web process and worker, so a
limit holds across N app servers without adding Redis. Each (key, window)
pair is one row; a hit is one atomic UPDATE ... SET hits = hits + 1.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from sejuk.accounts.models import RateLimitBucket


@dataclass(frozen=True)
class Limit:
    hits: int
    window_seconds: int


def _window_start(now: dt.datetime, window_seconds: int) -> dt.datetime:
    epoch = int(now.timestamp())
    return dt.datetime.fromtimestamp(epoch - epoch % window_seconds, tz=dt.UTC)


def count(key: str, window_seconds: int, *, now: dt.datetime | None = None) -> int:
    start = _window_start(now or timezone.now(), window_seconds)
    row = (
        RateLimitBucket.objects.filter(key=key, window_start=start)
        .values_list("hits", flat=True)
        .first()
    )
    return row or 0


_UPSERT = (
    "INSERT INTO accounts_ratelimitbucket (key, window_start, hits) VALUES (%s, %s, 1) "
    "ON CONFLICT (key, window_start) DO UPDATE SET hits = accounts_ratelimitbucket.hits + 1 "
    "RETURNING hits"
)


def hit(key: str, window_seconds: int, *, now: dt.datetime | None = None) -> int:
    """Count one hit for ``key`` and return the total in the current window.

    One atomic upsert (PostgreSQL and SQLite >= 3.35 both support it): no
    read-then-write race between processes, and one round trip per hit."""
    start = _window_start(now or timezone.now(), window_seconds)
    if connection.vendor in ("postgresql", "sqlite"):
        with connection.cursor() as cur:
            cur.execute(_UPSERT, [key, connection.ops.adapt_datetimefield_value(start)])
            return cur.fetchone()[0]
    updated = RateLimitBucket.objects.filter(key=key, window_start=start).update(hits=F("hits") + 1)
    if not updated:
        try:
            with transaction.atomic():
                RateLimitBucket.objects.create(key=key, window_start=start, hits=1)
        except IntegrityError:
            RateLimitBucket.objects.filter(key=key, window_start=start).update(hits=F("hits") + 1)
    return count(key, window_seconds, now=now)


def hit_many(keys: list[tuple[str, int]], *, now: dt.datetime | None = None) -> dict[str, int]:
    """Count one hit on several keys in one statement (one round trip, one commit)."""
    moment = now or timezone.now()
    if connection.vendor not in ("postgresql", "sqlite"):
        return {key: hit(key, window, now=now) for key, window in keys}
    rows = [
        (key, connection.ops.adapt_datetimefield_value(_window_start(moment, w))) for key, w in keys
    ]
    values = ", ".join(["(%s, %s, 1)"] * len(rows))
    sql = (
        f"INSERT INTO accounts_ratelimitbucket (key, window_start, hits) VALUES {values} "
        "ON CONFLICT (key, window_start) DO UPDATE SET hits = accounts_ratelimitbucket.hits + 1 "
        "RETURNING key, hits"
    )
    with connection.cursor() as cur:
        cur.execute(sql, [v for row in rows for v in row])
        return dict(cur.fetchall())


def is_limited(key: str, limit: Limit, *, now: dt.datetime | None = None) -> bool:
    return count(key, limit.window_seconds, now=now) >= limit.hits


def reset(key: str) -> None:
    RateLimitBucket.objects.filter(key=key).delete()


def prune(older_than: dt.timedelta = dt.timedelta(days=1)) -> int:
    deleted, _ = RateLimitBucket.objects.filter(
        window_start__lt=timezone.now() - older_than
    ).delete()
    return deleted

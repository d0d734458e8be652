"""Rate-limit counters: atomic counting; on PostgreSQL an UNLOGGED table."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from sejuk.accounts import ratelimit


def test_hits_count_per_key_and_window(db):
    now = dt.datetime(2024, 11, 27, 8, 0, 30, tzinfo=dt.UTC)
    got = [ratelimit.hit_many([("ip:10.0.0.1", 3600), ("phone:x", 86400)], now=now)
           for _ in range(3)]  # fmt: skip
    assert got[-1] == {"ip:10.0.0.1": 3, "phone:x": 3}
    # The next hourly window starts again; the daily one goes on.
    later = now + dt.timedelta(hours=1)
    assert ratelimit.hit_many([("ip:10.0.0.1", 3600), ("phone:x", 86400)], now=later) == {
        "ip:10.0.0.1": 1,
        "phone:x": 4,
    }


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL table storage")
def test_counters_skip_the_write_ahead_log_on_postgresql(db):
    # Hot per-IP rows must not wait for a WAL flush on every public request.
    with connection.cursor() as cur:
        cur.execute(
            "SELECT relpersistence FROM pg_class WHERE relname = 'accounts_ratelimitbucket'"
        )
        assert cur.fetchone()[0] == "u"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL index definitions")
def test_hot_tables_carry_no_like_twin_indexes(db):
    # Every intake writes a report and (in the worker's batch) an audit entry:
    # the "varchar_pattern_ops" twins Django adds for unique/db_index text
    # columns would cost each insert and serve no query of these tables.
    with connection.cursor() as cur:
        cur.execute(
            "SELECT tablename, indexname FROM pg_indexes WHERE tablename IN "
            "('reports_report', 'accounts_auditentry') AND indexdef LIKE '%%pattern_ops%%'"
        )
        assert cur.fetchall() == []
        cur.execute("SELECT count(*) FROM pg_indexes WHERE tablename = 'accounts_auditentry'")
        assert cur.fetchone()[0] == 4  # pk, at, actor_id, (object_type, object_id, at)

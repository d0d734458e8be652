"""The background job: yesterday once after midnight, today every run; one chain."""

from __future__ import annotations

import datetime as dt

import time_machine

from sejuk.risk.models import ComputeRun, DailyRisk
from sejuk.risk.tasks import ensure_scheduled, run_once

from .conftest import TODAY, WIB


def test_the_job_finishes_yesterday_once_and_recomputes_today(db):
    with time_machine.travel(dt.datetime(2024, 11, 27, 1, 0, tzinfo=WIB), tick=False):
        first = run_once()
    assert [r["date"] for r in first] == ["2024-11-26", "2024-11-27"]
    # The demo organisation's units cover DKI Jakarta: every kelurahan of 31.
    assert first[0]["scope"] == "31"
    assert DailyRisk.objects.filter(date=TODAY).count() == first[1]["kelurahan"] > 200
    with time_machine.travel(dt.datetime(2024, 11, 27, 2, 0, tzinfo=WIB), tick=False):
        second = run_once()
    assert [r["date"] for r in second] == ["2024-11-27"]
    assert ComputeRun.objects.filter(source="worker").count() == 3


def test_only_one_run_waits_in_the_queue(db, settings):
    from django_tasks_db.models import DBTaskResult

    assert ensure_scheduled(delay=60) is True
    assert ensure_scheduled(delay=60) is False
    assert DBTaskResult.objects.filter(task_path="sejuk.risk.tasks.risk_tick").count() == 1

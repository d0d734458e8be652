"""Shared helpers for the risk tests: a fixed clock and small real slices.

Everything happens in Kecamatan Johar Baru (31.71.08: Johar Baru, Kampung
Rawa, Galur, Tanah Tinggi) and Gambir, with the real boundaries and the demo
organisation of tests/conftest.py; "today" is voting day, Wednesday 27
November 2024, 12:00 WIB, inside the demo election's calendar.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from sejuk.analytics.riskindex import IndexSpec
from sejuk.reports import routing
from sejuk.reports.actions import ReportInput, create_report
from sejuk.reports.models import Report
from sejuk.risk.indicators import current_spec
from sejuk.risk.models import Assessment, Incident

WIB = dt.timezone(dt.timedelta(hours=7))
TODAY = dt.date(2024, 11, 27)
NOW = dt.datetime(2024, 11, 27, 12, 0, tzinfo=WIB)
GALUR = "31.71.08.1003"
TANAH_TINGGI = "31.71.08.1004"
JOHAR_BARU = "31.71.08"
GAMBIR_KEL = "31.71.01.1001"
GALUR_POINT = (-6.1762, 106.8554)


@pytest.fixture(autouse=True)
def _clean_caches():
    routing.clear_caches()
    yield
    routing.clear_caches()


@pytest.fixture
def now():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def spec() -> IndexSpec:
    return current_spec()


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=WIB)


def incident(kode: str = GALUR, when: dt.datetime | None = None, severity: int = 1, **kw):
    return Incident.objects.create(
        kelurahan_id=kode, occurred_at=when or NOW, kind="clash", severity=severity, **kw
    )


def report(status: str = "verified", category: str = "crowd", when=None, **kw) -> Report:
    data = {
        "category": category,
        "description": "Keributan antarpendukung di Jalan Topaz, warga resah.",
        "lat": GALUR_POINT[0],
        "lon": GALUR_POINT[1],
        "received_at": when or NOW,
    }
    data.update(kw)
    r = create_report(ReportInput(**data))
    Report.objects.filter(pk=r.pk).update(status=status, intake_pending=False)
    r.refresh_from_db()
    return r


def assessment(spec: IndexSpec, kode: str = GALUR, value: int = 2, **kw) -> Assessment:
    values = {
        "kelurahan_id": kode,
        "period_start": dt.date(2024, 9, 25),
        "period_end": dt.date(2024, 12, 16),
        "spec_version": spec.version,
        "answers": {i.code: value for i in spec.indicators},
    }
    values.update(kw)
    return Assessment.objects.create(**values)

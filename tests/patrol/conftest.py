"""Fixtures for patrol planning.

``demo_week`` loads the real demo field work of Kelurahan Galur (11-17 November
2024: eight titik rawan, a week of patrols with visits) at a fixed "now" of Monday
18 November 2024, 19:00 WIB, so that "tomorrow" is Tuesday 19 November.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from sejuk.accounts import audit
from sejuk.territory.models import Officer

GALUR = "31.71.08.1003"
TANAH_TINGGI = "31.71.08.1004"
WIB = dt.timezone(dt.timedelta(hours=7))
NOW = dt.datetime(2024, 11, 18, 19, 0, tzinfo=WIB)
TOMORROW = dt.date(2024, 11, 19)


@pytest.fixture
def now():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def demo_week(db, now):
    from sejuk.fieldwork.demo import load_demo_fieldwork

    with audit.acting_as(audit.Actor(source="tests")):
        return load_demo_fieldwork()


def officer_of(kode: str) -> Officer:
    return Officer.objects.get(kelurahan__kode=kode, position="Bhabinkamtibmas")


@pytest.fixture
def galur_officer(db) -> Officer:
    return officer_of(GALUR)

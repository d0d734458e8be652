from __future__ import annotations

import pytest

from sejuk.reports import routing
from sejuk.reports.actions import ReportInput, create_report

GALUR_POINT = (-6.1762, 106.8554)


@pytest.fixture(autouse=True)
def _fresh_routing_cache():
    # Tests create units and officers inside transactions; never reuse a
    # coverage map built from another test's rolled-back rows.
    routing.clear_caches()
    yield
    routing.clear_caches()


@pytest.fixture
def make_report(db):
    def make(**over):
        data = {
            "category": "vandalism",
            "description": "Spanduk paslon di Jalan Topaz dirusak orang tak dikenal tadi malam.",
            "lat": GALUR_POINT[0],
            "lon": GALUR_POINT[1],
            "reporter_name": "Siti",
            "reporter_contact": "0812 3456 7890",
        }
        data.update(over)
        return create_report(ReportInput(**data))

    return make

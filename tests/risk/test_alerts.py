"""Alerts: a kelurahan moving up a level, a forecast cell entering the top share;
sent to the responsible officers, once per situation."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from sejuk.reports.models import Notification
from sejuk.risk.actions import compute_index, run_forecast
from sejuk.risk.models import AlertKind, ForecastHotspot, Incident, RiskAlert
from sejuk.risk.signals import territory
from sejuk.territory.models import Wilayah

from .conftest import GALUR, GALUR_POINT, JOHAR_BARU, TODAY, assessment, at, incident

D0 = TODAY - dt.timedelta(days=1)


def compute(day, scope=(JOHAR_BARU,)):
    with time_machine.travel(at(day, 23), tick=False):
        return compute_index(day, scope, forecast=False)


def recipients(alert: RiskAlert) -> set[str]:
    return set(
        Notification.objects.filter(dedupe_key__startswith=f"risk:{alert.pk}:").values_list(
            "user__username", flat=True
        )
    )


@pytest.fixture
def rising(db, spec):
    """Galur: assessed "high" everywhere; quiet the day before voting, three serious
    incidents on voting day (score above 40: tinggi)."""
    assessment(spec, value=3)
    compute(D0)
    for hour in (9, 10, 11):
        incident(when=at(TODAY, hour), severity=3)
    return compute(TODAY)


def test_moving_up_a_level_alerts_the_officer_the_polsek_and_for_tinggi_the_polres(rising):
    alerts = [a for a in rising.alerts if a.kelurahan_id == GALUR]
    assert len(alerts) == 1
    alert = alerts[0]
    assert (alert.kind, alert.previous_level, alert.level) == (
        AlertKind.LEVEL_UP,
        "sedang",
        "tinggi",
    )
    assert alert.date == TODAY
    assert "incidents" in alert.detail["top"]
    assert recipients(alert) == {
        "galur",
        "kapolsek.joharbaru",
        "staf.joharbaru",
        "kapolres.jakpus",
        "staf.jakpus",
    }
    assert alert.notified == 5
    text = Notification.objects.filter(dedupe_key__startswith=f"risk:{alert.pk}:").first().text
    assert "Galur" in text and GALUR in text


def test_the_same_situation_does_not_alert_twice(rising):
    compute(TODAY)  # the job runs again
    assert RiskAlert.objects.filter(kelurahan_id=GALUR).count() == 1
    assert Notification.objects.filter(kind="risk_alert").count() == 5
    # Down the next day, back up the day after: still the same situation (cool-down).
    Incident.objects.all().delete()
    d1, d2 = TODAY + dt.timedelta(days=1), TODAY + dt.timedelta(days=2)
    compute(d1)
    for hour in (9, 10, 11, 12):
        incident(when=at(d2, hour), severity=3)
    assert compute(d2).alerts == []
    assert RiskAlert.objects.filter(kelurahan_id=GALUR).count() == 1


def test_no_alert_without_the_day_before_or_when_the_level_does_not_rise(db, spec):
    assessment(spec, value=3)
    incident(when=at(TODAY, 9), severity=3)
    assert compute(TODAY).alerts == []  # nothing stored for the day before
    assert compute(TODAY + dt.timedelta(days=1)).alerts == []  # same or lower level


def _points_in(kode: str, n: int) -> list[tuple[float, float]]:
    w = Wilayah.objects.get(kode=kode)
    return [
        (w.centroid_lat + 0.0002 * (i % 3), w.centroid_lon + 0.0002 * (i // 3)) for i in range(n)
    ]


def test_a_kelurahan_whose_cell_enters_the_forecast_top_share_is_alerted_once(db):
    kota = territory(("31.71",))
    # History: a cluster in Kemayoran over two months (and nothing in Galur).
    kemayoran = "31.71.03.1001"
    for i, (lat, lon) in enumerate(_points_in(kemayoran, 30)):
        Incident.objects.create(
            kelurahan_id=kemayoran,
            occurred_at=at(TODAY - dt.timedelta(days=2 + 2 * i)),
            kind="clash",
            lat=lat,
            lon=lon,
        )
    with time_machine.travel(at(TODAY, 23), tick=False):
        first, outcome = run_forecast(TODAY, kota)
    assert first == []  # the first forecast is the baseline
    assert outcome.startswith("31.71:")
    hot = ForecastHotspot.objects.filter(as_of=TODAY)
    assert hot.exists() and not hot.filter(kelurahan_id=GALUR).exists()
    # A burst in Galur today: its cell enters tomorrow's top share.
    for i in range(15):
        Incident.objects.create(
            kelurahan_id=GALUR,
            occurred_at=at(TODAY, 8 + i % 12),
            kind="clash",
            lat=GALUR_POINT[0],
            lon=GALUR_POINT[1],
        )
    tomorrow = TODAY + dt.timedelta(days=1)
    with time_machine.travel(at(TODAY, 23), tick=False):
        raised, _ = run_forecast(tomorrow, kota)
        again, _ = run_forecast(tomorrow, kota)
    galur = [a for a in raised if a.kelurahan_id == GALUR]
    assert len(galur) == 1 and galur[0].kind == AlertKind.FORECAST
    assert galur[0].detail["cells"] and galur[0].detail["model"]
    assert ForecastHotspot.objects.filter(as_of=tomorrow, kelurahan_id=GALUR).exists()
    assert again == []
    assert RiskAlert.objects.filter(kind=AlertKind.FORECAST, kelurahan_id=GALUR).count() == 1
    # Forecast alerts go up to the Polres as well.
    assert "kapolres.jakpus" in recipients(galur[0]) and "galur" in recipients(galur[0])

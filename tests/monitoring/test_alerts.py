"""Spike detection, alerts with briefs, notifications, dedupe and scope."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management import call_command

from sejuk.monitoring import actions
from sejuk.monitoring.models import Alert, AlertStatus, MonitoringSettings, Post
from sejuk.reports.models import Notification

WIB = dt.timezone(dt.timedelta(hours=7))
NOW = dt.datetime(2024, 11, 24, 22, 10, tzinfo=WIB)
KAMPUNG_RAWA = "31.71.08.1002"
GALUR = "31.71.08.1003"
SARA_TEXTS = [
    "Jangan pilih pemimpin kafir, warga Kampung Rawa wajib pilih yang seiman",
    "Pemimpin kafir haram dipilih, ingat itu warga Kampung Rawa",
    "Yang pilih pemimpin kafir jenazahnya tidak disholatkan, Kampung Rawa tolak calon kafir",
    "Kampung Rawa harus bersatu menolak pemimpin kafir di pilkada",
    "Haram memilih pemimpin kafir, sebarkan ke grup pengajian Kampung Rawa",
    "Ingat ayat tentang pemimpin kafir, jangan sampai Kampung Rawa salah pilih",
    "Kafir tidak boleh memimpin, warga Kampung Rawa jangan mau ditipu",
]


def _flagged(kode: str, when: dt.datetime, n: int, *, sara=True, prefix="p", texts=SARA_TEXTS):
    rows = []
    for i in range(n):
        rows.append(
            Post(
                platform="twitter", external_id=f"{prefix}-{kode}-{when:%m%d%H%M}-{i}",
                author=f"akun{i % 4}", text=texts[i % len(texts)] + f" #{i}",
                posted_at=when - dt.timedelta(minutes=7 * i), kelurahan_id=kode, area_kode=kode,
                located_by="text", scope_kode=kode, text_hash=f"{prefix}{i:014d}"[:16],
                provocative=True, sara=sara, classified_at=when,
                scores={"hate_speech": 0.9, "sara": 0.8 if sara else 0.1, "hs_religion": 0.8},
            )
        )  # fmt: skip
    Post.objects.bulk_create(rows)


@pytest.fixture
def spike(db):
    # A quiet baseline (two posts a week before), then a burst this evening.
    _flagged(KAMPUNG_RAWA, NOW - dt.timedelta(days=6), 2, prefix="old")
    _flagged(KAMPUNG_RAWA, NOW, 7)


def test_a_burst_above_the_baseline_raises_one_alert_with_a_brief(spike, seed_claims):
    raised = actions.run_detection(NOW)
    kinds = sorted(a.kind for a in raised)
    assert kinds == ["provocation", "sara"]
    alert = Alert.objects.get(kind="sara")
    assert (alert.area_kode, alert.observed, alert.status) == (KAMPUNG_RAWA, 7, AlertStatus.OPEN)
    assert alert.expected < 1
    brief = alert.brief
    assert brief["area"]["name"] == "Kelurahan Kampung Rawa"
    assert len(brief["samples"]) == 5
    assert all("kafir" in s["text"].lower() for s in brief["samples"])
    points = [t["text"] for t in brief["talking_points"]]
    assert any("Jaga persatuan" in p for p in points)
    assert any("Kampung Rawa" in p for p in points), "the area name is filled in"
    assert any("Bhabinkamtibmas" in p and "110" in p for p in points)
    assert all("{" not in p for p in points)


def test_the_kapolsek_and_the_officer_of_the_kelurahan_are_notified(spike, kapolsek_jb, galur):
    actions.run_detection(NOW)
    alert = Alert.objects.get(kind="sara")
    notified = set(
        Notification.objects.filter(kind="monitoring_alert").values_list(
            "user__username", flat=True
        )
    )
    assert "kapolsek.joharbaru" in notified
    assert "staf.joharbaru" in notified
    # Galur's officer is not responsible for Kampung Rawa; the Kapolsek of Gambir neither.
    assert "galur" not in notified and "kapolsek.gambir" not in notified
    text = Notification.objects.get(dedupe_key=f"mon:{alert.pk}:{kapolsek_jb.pk}").text
    assert f"/monitoring/alerts/{alert.pk}/" in text
    assert "Kampung Rawa" in text


def test_the_same_spike_does_not_alert_twice(spike):
    first = actions.run_detection(NOW)
    sent = Notification.objects.count()
    again = actions.run_detection(NOW + dt.timedelta(minutes=15))
    later = actions.run_detection(NOW + dt.timedelta(hours=1))
    assert len(first) == 2 and again == [] and later == []
    assert Alert.objects.count() == 2
    assert Notification.objects.count() == sent
    assert Alert.objects.get(kind="sara").last_detected_at == NOW + dt.timedelta(hours=1)


def test_a_busy_area_at_its_usual_level_does_not_alert(db):
    # Seven flagged posts every six hours for two weeks: seven more is normal.
    for k in range(1, 14 * 4):
        _flagged(GALUR, NOW - dt.timedelta(hours=6 * k), 7, prefix=f"b{k}")
    _flagged(GALUR, NOW, 7, prefix="now")
    assert actions.run_detection(NOW) == []


def test_four_posts_do_not_alert_until_the_analyst_lowers_the_thresholds(db):
    _flagged(KAMPUNG_RAWA, NOW, 4)
    assert actions.run_detection(NOW) == []
    s = MonitoringSettings.current()
    s.spike_min_count = 3
    s.save()
    # P(X >= 4 | 0.5) = 0.0018: still not below alpha = 0.001.
    assert actions.run_detection(NOW) == []
    s.spike_alpha = 0.01
    s.save()
    assert {a.kind for a in actions.run_detection(NOW)} == {"sara", "provocation"}


def test_a_copy_by_the_same_account_does_not_count(db):
    _flagged(KAMPUNG_RAWA, NOW, 7)
    Post.objects.filter(external_id__endswith="-6").update(counted=False)
    Post.objects.filter(external_id__endswith="-5").update(counted=False)
    Post.objects.filter(external_id__endswith="-4").update(counted=False)
    assert actions.run_detection(NOW) == []


def test_the_brief_carries_matching_fact_checks_and_the_hoax_talking_points(db, seed_claims):
    tps = [
        "TPS 011 Galur dipindah ke Jalan Topaz tanpa pengumuman resmi, jangan mau dibohongi",
        "Katanya TPS 011 di Kelurahan Galur dipindah diam-diam, awas panitia curang",
        "Info TPS 011 Galur dipindah ke Jalan Topaz, panitia tidak mengumumkan",
    ]
    _flagged(GALUR, NOW, 6, sara=False, texts=tps)
    actions.run_detection(NOW)
    alert = Alert.objects.get(kind="provocation", area_kode=GALUR)
    checks = alert.brief["fact_checks"]
    assert checks, "no fact check matched"
    assert checks[0]["title"] == "TPS 011 Galur dipindah"
    assert checks[0]["verdict"] == "hoax"
    points = [t["text"] for t in alert.brief["talking_points"]]
    assert any("TPS 011 Galur dipindah" in p and "hoax" in p for p in points)
    assert any("Cek fakta sebelum membagikan" in p for p in points)


def test_alerts_are_scoped_to_the_territory(
    spike, client_for, kapolsek_jb, kapolsek_gambir, galur, tanahtinggi
):
    actions.run_detection(NOW)
    alert = Alert.objects.get(kind="sara")
    url = f"/monitoring/alerts/{alert.pk}/"
    page = client_for(kapolsek_jb).get(url)
    assert page.status_code == 200
    assert "Jaga persatuan" in page.content.decode()
    assert client_for(kapolsek_gambir).get(url).status_code == 404
    assert client_for(galur).get(url).status_code == 404
    listed = client_for(kapolsek_jb).get("/api/v1/monitoring/alerts").json()
    assert alert.pk in {a["id"] for a in listed}
    assert client_for(kapolsek_gambir).get("/api/v1/monitoring/alerts").json() == []
    assert (
        client_for(kapolsek_gambir).get(f"/api/v1/monitoring/alerts/{alert.pk}").status_code == 404
    )


def test_the_kapolsek_acknowledges_and_closes_an_alert(spike, client_for, kapolsek_jb):
    from sejuk.accounts.models import AuditEntry

    actions.run_detection(NOW)
    alert = Alert.objects.get(kind="sara")
    c = client_for(kapolsek_jb)
    url = f"/monitoring/alerts/{alert.pk}/"
    refused = c.post(url, {"status": "closed", "note": ""})
    assert refused.status_code == 422
    assert (
        c.post(url, {"status": "closed", "note": "Dialog dengan tokoh agama RW 03"}).status_code
        == 302
    )
    alert.refresh_from_db()
    assert (alert.status, alert.handled_by) == (AlertStatus.CLOSED, kapolsek_jb)
    entry = AuditEntry.objects.filter(
        object_type="monitoring.alert", object_id=str(alert.pk), action="update"
    ).first()
    assert entry is not None and entry.changes["status"] == ["open", "closed"]


def test_detect_command_prints_the_alerts(spike, capsys):
    call_command("monitoring", "detect", "--at", NOW.isoformat())
    out = json.loads(capsys.readouterr().out)
    assert {a["kind"] for a in out} == {"sara", "provocation"}
    assert all(a["area"] == KAMPUNG_RAWA for a in out)


def test_the_detection_task_runs_and_reschedules(spike, settings):
    from django_tasks_db.models import DBTaskResult

    from sejuk.monitoring import tasks

    with_time = NOW
    import time_machine

    with time_machine.travel(with_time, tick=False):
        assert tasks.detection_tick.call(reschedule=True) == 2
    assert (
        DBTaskResult.objects.filter(
            task_path=tasks.detection_tick.module_path, status="READY"
        ).count()
        == 1
    )
    assert tasks.ensure_scheduled() is False

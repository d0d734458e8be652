"""sejuk risk compute | indicators | incidents-import | alerts."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from sejuk.accounts.models import AuditEntry
from sejuk.risk.models import ComputeRun, DailyRisk, Incident, RiskAlert

from .conftest import GALUR, TANAH_TINGGI, TODAY

TEMPLATE = Path(__file__).resolve().parents[2] / "docs" / "templates" / "risk_incidents.csv"


def run(*args) -> str:
    out = StringIO()
    call_command("risk", *args, stdout=out)
    return out.getvalue()


def test_compute_a_day_for_a_scope_as_json(db, now):
    out = run(
        "compute", "--date", TODAY.isoformat(), "--scope", "31.71.08", "--json", "--no-forecast"
    )
    data = json.loads(out)
    assert data["date"] == TODAY.isoformat() and data["kelurahan"] == 4
    assert sum(data["levels"].values()) == 4
    assert DailyRisk.objects.filter(date=TODAY).count() == 4
    assert ComputeRun.objects.get().source == "cli"


def test_compute_several_days_oldest_first(db, now):
    out = run(
        "compute",
        "--date",
        TODAY.isoformat(),
        "--scope",
        "31.71.08.1003",
        "--days",
        "3",
        "--no-forecast",
    )
    assert [line.split(":")[0] for line in out.splitlines()] == [
        "2024-11-25",
        "2024-11-26",
        "2024-11-27",
    ]
    assert DailyRisk.objects.filter(kelurahan_id=GALUR).count() == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--date", "27-11-2024"), "is not a date like 2024-11-27"),
        (("--scope", "Galur"), "not a kode wilayah"),
        (("--scope", "31.99"), "no wilayah 31.99"),
        (("--days", "0"), "--days must be between 1 and"),
        (("--date", "0001-01-01", "--days", "2"), "is outside 2000-01-01"),
    ],
)
def test_compute_refuses_bad_arguments_with_a_reason(db, args, message):
    with pytest.raises(CommandError, match=message):
        run("compute", *args)
    assert not DailyRisk.objects.exists()


def test_indicators_validates_the_definition(tmp_path):
    assert "ikp-ipkp-2024.1" in run("indicators")
    summary = json.loads(run("indicators", "--json"))
    assert summary["max_score"] <= 100 and summary["indicators"] == 16
    bad = tmp_path / "bad.json"
    bad.write_text('{"version": "x",\n "stages": }', encoding="utf-8")
    with pytest.raises(CommandError, match=r"bad\.json:2:\d+: invalid JSON"):
        run("indicators", "--file", str(bad))


def test_importing_the_template_twice_creates_then_changes_nothing(db, now):
    out = run("incidents-import", str(TEMPLATE))
    assert "3 were created" in out
    located = Incident.objects.get(ref__startswith="sha1:")
    assert located.kelurahan_id == GALUR  # from the point
    assert Incident.objects.get(ref="jb-2024-001").severity == 2
    out = run("incidents-import", str(TEMPLATE))
    assert "0 were created, 0 were updated, 3 unchanged" in out
    assert Incident.objects.count() == 3
    assert AuditEntry.objects.filter(object_type="risk.incident", action="import").count() == 1


def test_a_bad_file_reports_every_problem_with_its_line_and_writes_nothing(db, now, tmp_path):
    bad = tmp_path / "incidents.csv"
    bad.write_text(
        "ref,occurred_at,kelurahan,kind,severity,lat,lon\n"
        "a,2024-11-20 21:00,31.71.08.1003,clash,2,,\n"
        "b,yesterday,31.71.08.1003,clash,2,,\n"
        "c,2024-11-20 21:00,31.71.08.1003,picnic,5,,\n"
        f"d,2024-11-20 21:00,{TANAH_TINGGI},clash,1,-6.1762,106.8554\n"
        "e,0001-01-01T00:00+14:00,31.71.08.1003,clash,1,,\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError) as exc:
        run("incidents-import", str(bad))
    text = str(exc.value)
    assert "nothing was imported" in text
    assert f"{bad}:3: occurred_at 'yesterday'" in text
    assert f"{bad}:4: kind 'picnic'" in text and f"{bad}:4: severity '5'" in text
    assert f"{bad}:5: the point" in text and "Galur" in text
    assert f"{bad}:6: occurred_at '0001-01-01T00:00+14:00' is before 2000-01-01" in text
    assert not Incident.objects.exists()


def test_import_as_a_user_keeps_to_their_territory_and_dry_run_writes_nothing(db, now, tmp_path):
    out = run("incidents-import", str(TEMPLATE), "--dry-run")
    assert "3 would be created" in out and not Incident.objects.exists()
    f = tmp_path / "tt.csv"
    f.write_text(
        f"occurred_at,kelurahan,kind\n2024-11-20 10:00,{TANAH_TINGGI},clash\n", encoding="utf-8"
    )
    with pytest.raises(
        CommandError,
        match=r"tt\.csv:2: kelurahan 31\.71\.08\.1004 is not in the territory of galur",
    ):
        run("incidents-import", str(f), "--as", "galur")
    with pytest.raises(CommandError, match="file not found"):
        run("incidents-import", str(tmp_path / "missing.csv"))


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", r":1: empty file"),
        (b"occurred_at,kelurahan\n2024-11-20,31.71.08.1003\n", r":1: header lacks kind"),
        (b"occurred_at,kelurahan,kind\n\xff\xfe,x,clash\n", r":2: not UTF-8"),
        (b"occurred_at,kelurahan,kind\n2024-11-20,31.71.08.1003,clash,x\n", r":2: more cells"),
        (b"occurred_at,kelurahan,kind\n2024-11-20,31.71.08.1003,cla\x00sh\n", r":2: NUL"),
    ],
)
def test_a_malformed_file_is_a_clear_command_error(db, tmp_path, raw, message):
    f = tmp_path / "m.csv"
    f.write_bytes(raw)
    with pytest.raises(CommandError, match=r"m\.csv" + message):
        run("incidents-import", str(f))
    assert not Incident.objects.exists()


def test_alerts_lists_open_alerts_as_json_lines(db):
    RiskAlert.objects.create(
        kind="level_up", kelurahan_id=GALUR, date=TODAY, level="tinggi", dedupe_key="k"
    )
    lines = [json.loads(x) for x in run("alerts").splitlines()]
    assert [(a["kelurahan"], a["level"]) for a in lines] == [(GALUR, "tinggi")]
    assert run("alerts", "--status", "closed") == ""

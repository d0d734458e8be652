"""`sejuk monitoring claims-import|claims-evaluate|claims-match|talking-points`."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from sejuk.monitoring.models import FactCheck, MonitoringSettings
from tests.monitoring.conftest import DATA


def test_the_seed_import_is_idempotent(db, data, capsys):
    call_command("monitoring", "claims-import", "--pratiwi", str(data / "nlp" / "pratiwi-hoax"))
    first = json.loads(capsys.readouterr().out)
    assert (first["created"], first["updated"], first["errors"]) == (600, 0, [])
    assert FactCheck.objects.filter(verdict="hoax").count() == 228
    call_command("monitoring", "claims-import", "--pratiwi", str(data / "nlp" / "pratiwi-hoax"))
    again = json.loads(capsys.readouterr().out)
    assert (again["created"], again["unchanged"]) == (0, 600)


def test_a_csv_import_reports_its_bad_rows(db, tmp_path, capsys):
    path = tmp_path / "cek.csv"
    path.write_bytes(DATA.joinpath("claims.csv").read_bytes() + b'"Tanpa putusan",mungkin,X,,,,\n')
    with pytest.raises(SystemExit) as info:
        call_command("monitoring", "claims-import", str(path))
    assert info.value.code == 1
    out = json.loads(capsys.readouterr().out)
    assert out["created"] == 3
    assert out["errors"][0]["line"] == 5 and "mungkin" in out["errors"][0]["error"]
    assert FactCheck.objects.get(ref="c6-ktp").verdict == "misleading"


def test_a_file_with_wrong_columns_fails_cleanly(db, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("klaim,label\nx,y\n", encoding="utf-8")
    with pytest.raises(CommandError, match="missing column"):
        call_command("monitoring", "claims-import", str(path))
    assert not FactCheck.objects.exists()


def test_claims_evaluate_prints_precision_and_recall(db, data, capsys):
    call_command(
        "monitoring",
        "claims-evaluate",
        "--data",
        str(data / "nlp" / "pratiwi-hoax"),
        "--splits",
        "1",
    )
    out = json.loads(capsys.readouterr().out)
    assert out["claims"] == 600
    split = out["split"]
    assert split["n_test"] == 120
    assert set(split["per_verdict"]) == {"hoax", "valid"}
    assert 0 < split["per_verdict"]["hoax"]["precision"] <= 1
    assert out["cross_validation"] is None


def test_claims_match_takes_a_text(db, capsys):
    call_command("monitoring", "claims-import", str(DATA / "claims.csv"))
    capsys.readouterr()
    call_command("monitoring", "claims-match", "katanya TPS 011 Galur dipindah ke Jalan Topaz")
    out = json.loads(capsys.readouterr().out)
    assert out[0]["title"] == "TPS 011 Galur dipindah" and out[0]["verdict"] == "hoax"
    with pytest.raises(CommandError, match="give a text"):
        call_command("monitoring", "claims-match")


def test_talking_points_round_trip(db, tmp_path, capsys):
    call_command("monitoring", "talking-points", "export")
    exported = json.loads(capsys.readouterr().out)
    assert {"sara", "provocation", "hoax", "general"} <= set(exported)
    exported["sara"] = ["Jaga persatuan warga {wilayah}."]
    path = tmp_path / "tp.json"
    path.write_text(json.dumps(exported), encoding="utf-8")
    call_command("monitoring", "talking-points", "import", str(path))
    assert MonitoringSettings.current().talking_points["sara"] == [
        "Jaga persatuan warga {wilayah}."
    ]
    path.write_text('{"sara": ["Kurung {tidak ditutup"]}', encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("monitoring", "talking-points", "import", str(path))


def test_classify_without_a_model_says_how_to_get_one(db):
    with pytest.raises(CommandError, match="sejuk nlp train"):
        call_command("monitoring", "classify")

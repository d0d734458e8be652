from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command


def test_show_prints_galur_with_parents_up_to_dki_and_neighbours(db):
    out = StringIO()
    call_command("wilayah", "show", "31.71.08.1003", stdout=out)
    body = json.loads(out.getvalue())
    assert set(body) == {"kode", "nama", "level", "parents", "area_km2", "neighbours"}
    assert body["kode"] == "31.71.08.1003" and body["nama"] == "Galur"
    assert [p["kode"] for p in body["parents"]] == ["31.71.08", "31.71", "31"]
    assert body["parents"][0]["nama"] == "Johar Baru"
    assert {"31.71.08.1002", "31.71.08.1004"} <= set(body["neighbours"])
    assert 0.1 < body["area_km2"] < 1


def test_show_a_kelurahan_outside_jakarta_has_no_area_or_neighbours(db):
    out = StringIO()
    call_command("wilayah", "show", "11.01.01.2001", stdout=out)
    body = json.loads(out.getvalue())
    assert body["area_km2"] is None and body["neighbours"] == []
    assert body["parents"][-1]["kode"] == "11"


@pytest.mark.parametrize(
    ("kode", "msg"), [("31.7X", "not a Kemendagri code"), ("99.99", "no wilayah")]
)
def test_show_bad_codes_get_a_clear_error(db, kode, msg):
    with pytest.raises(CommandError, match=msg):
        call_command("wilayah", "show", kode)


def test_import_with_a_missing_file_is_a_clear_error(db, tmp_path):
    with pytest.raises(CommandError, match="codes file not found"):
        call_command("wilayah", "import", "--codes", str(tmp_path / "nope.sql"))


def test_import_json_output_on_unchanged_files(db, data):
    out = StringIO()
    call_command(
        "wilayah", "import", "--codes", str(data / "wilayah" / "wilayah.sql"),
        "--boundaries", str(data / "wilayah" / "boundaries"), "--json", stdout=out,
    )  # fmt: skip
    body = json.loads(out.getvalue())
    assert body["changed"] is False and body["unchanged"] == 91599

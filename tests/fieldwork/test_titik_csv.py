"""Titik rawan CSV: the documented template, all-or-nothing, round trip."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from sejuk.fieldwork.models import TitikRawan
from sejuk.fieldwork.titik_csv import TitikCsvError, export_csv, import_csv

TEMPLATE = Path(__file__).resolve().parents[2] / "docs" / "templates" / "titik_rawan.csv"
HEADER = "name,category,kelurahan,lat,lon,street,rt,rw,vulnerability\n"


def test_the_template_imports_and_an_export_reimports_unchanged(galur):
    result = import_csv(galur, TEMPLATE.read_bytes())
    assert (result.rows, result.created) == (2, 2)
    tps = TitikRawan.objects.get(name="TPS 012 Galur")
    assert (
        tps.vulnerability == "tinggi"
        and str(tps.active_from) == "2024-11-26"
        and tps.address == "Jl. Galur Sari, RT 03, RW 02"
    )
    exported = export_csv(TitikRawan.objects.filter(kelurahan_id="31.71.08.1003").order_by("pk"))
    again = import_csv(galur, exported.encode())
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    edited = exported.replace("TPS dengan riwayat keributan", "Riwayat keributan 2019")
    assert import_csv(galur, edited.encode()).updated == 1


def test_one_bad_row_imports_nothing_and_every_problem_is_listed(galur):
    csv = (
        HEADER
        + "Pos A,meeting,31.71.08.1003,-6.1762,106.8554,Jl. Topaz,05,02,sedang\n"
        + "Pos B,warung,31.71.08.1003,-6.1762,106.8554,,,,sedang\n"
        + "Pos C,market,31.71.08.1004,-6.1792,106.8492,,,,sedang\n"
        + "Pos D,market,31.71.08.1003,-6.1792,106.8492,,,,sedang\n"
        + "Pos E,market,31.71.08.1003,abc,106.8492,,,,sedang\n"
        + "Pos F,market,31.71.08.1003,-6.1762,106.8554,,5a,,gawat\n"
    )
    with pytest.raises(TitikCsvError) as err:
        import_csv(galur, csv.encode())
    text = "\n".join(err.value.errors)
    assert "row 3: category 'warung'" in text
    assert "row 4: kelurahan '31.71.08.1004' is not in your territory" in text
    assert "row 5: the point" in text and "Tanah Tinggi" in text
    assert "row 6: lat/lon 'abc'" in text
    assert "row 7: vulnerability 'gawat'" in text and "row 7: rt:" in text
    assert "row 2" not in text
    assert not TitikRawan.objects.filter(name__startswith="Pos ").exists()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "empty file"),
        (b"nama,lokasi\nx,y\n", "header lacks"),
        (b"name,category,kelurahan,lat,lon\n\xff\xfe,x\n", "not UTF-8"),
        (HEADER.encode() + b"a,b,c,d,e,f,g,h,i,j,k\n", "more cells"),
    ],
)
def test_malformed_files_get_clear_errors(galur, raw, message):
    with pytest.raises(TitikCsvError, match=message):
        import_csv(galur, raw)


def test_the_cli_imports_and_exports_as_a_user(galur, tmp_path):
    out = StringIO()
    call_command("fieldwork", "titik-import", str(TEMPLATE), "--as", "galur", stdout=out)
    assert "2 created" in out.getvalue()
    out = StringIO()
    call_command("fieldwork", "titik-export", "--as", "galur", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("id,name,category,kelurahan") and len(lines) == 3
    assert any("TPS 012 Galur" in line for line in lines)
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "X,warung,31.71.08.1003,-6.1762,106.8554,,,,sedang\n")
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("fieldwork", "titik-import", str(bad), "--as", "galur")
    with pytest.raises(CommandError, match="no active user"):
        call_command("fieldwork", "titik-import", str(bad), "--as", "ghost")


def test_exports_neutralise_spreadsheet_formulas_and_reimport_cleanly(galur):
    csv = HEADER + '"=HYPERLINK(""http://x"")",meeting,31.71.08.1003,-6.1762,106.8554,,,,sedang\n'
    import_csv(galur, csv.encode())
    t = TitikRawan.objects.get(kelurahan_id="31.71.08.1003")
    assert t.name.startswith("=HYPERLINK")
    exported = export_csv([t])
    assert "'=HYPERLINK" in exported
    again = import_csv(galur, exported.encode())
    assert again.unchanged == 1
    t.refresh_from_db()
    assert t.name.startswith("=HYPERLINK")


@pytest.mark.parametrize("bad_id", ["²", "99999999999999999999", "-3", "x"])
def test_an_id_that_is_not_a_titik_is_a_row_error(galur, bad_id):
    csv = "id," + HEADER + f"{bad_id},Pos A,meeting,31.71.08.1003,-6.1762,106.8554,,,,sedang\n"
    with pytest.raises(TitikCsvError, match="row 2: id .* is not a titik rawan"):
        import_csv(galur, csv.encode())
    assert not TitikRawan.objects.filter(name="Pos A").exists()

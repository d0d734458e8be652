"""sejuk units import: documented templates, all-or-nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from sejuk.territory.models import Officer, PoliceUnit
from sejuk.territory.units_import import CsvImportError, import_csv

REPO = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str, name: str = "f.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_documented_templates_import_and_a_second_run_changes_nothing(db):
    units = import_csv(REPO / "docs" / "templates" / "units.csv")
    assert units.template == "units" and units.rows == 3
    jb = PoliceUnit.objects.get(code="polsek-johar-baru")
    assert jb.parent.code == "polres-metro-jakarta-pusat"
    assert jb.territory_codes() == ["31.71.08"]
    assert jb.lat == pytest.approx(-6.1826)
    officers = import_csv(REPO / "docs" / "templates" / "officers.csv")
    assert officers.template == "officers"
    again = import_csv(REPO / "docs" / "templates" / "units.csv")
    assert again.created == again.updated == 0 and again.unchanged == 3
    again = import_csv(REPO / "docs" / "templates" / "officers.csv")
    assert again.created == again.updated == 0 and again.unchanged == 2


def test_new_units_and_officers_are_created_with_their_areas(db, tmp_path):
    import_csv(
        write(
            tmp_path,
            "kind,code,name,parent_code,wilayah\n"
            "polres,polres-metro-jakarta-utara,Polres Metro Jakarta Utara,polda-metro-jaya,31.72\n"
            "polsek,polsek-koja,Polsek Koja,polres-metro-jakarta-utara,31.72.04\n",
        )
    )
    koja = PoliceUnit.objects.get(code="polsek-koja")
    assert koja.path == "polda-metro-jaya/polres-metro-jakarta-utara/polsek-koja"
    kel = list(koja.kelurahan().values_list("kode", flat=True))
    assert kel and all(k.startswith("31.72.04.") for k in kel)
    import_csv(
        write(
            tmp_path,
            f"nrp,name,rank,position,unit_code,kelurahan,phone\n"
            f"88001234,Andi Wijaya,Bripka,Bhabinkamtibmas,polsek-koja,{kel[0]};{kel[1]},0812\n",
            "o.csv",
        )
    )
    o = Officer.objects.get(nrp="88001234")
    assert sorted(o.kelurahan.values_list("kode", flat=True)) == sorted(kel[:2])


def test_bad_rows_are_all_reported_and_nothing_is_imported(db, tmp_path):
    units_before = PoliceUnit.objects.count()
    path = write(
        tmp_path,
        "kind,code,name,parent_code,wilayah,lat\n"
        "polsek,polsek-ok,Polsek OK,polres-metro-jakarta-pusat,31.71.01,\n"
        "polsek,polsek-bad-parent,Bad,polsek-johar-baru,31.71.02,\n"
        "kapolsek,polsek-bad-kind,Bad,polres-metro-jakarta-pusat,31.71.03,\n"
        "polsek,polsek-bad-area,Bad,polres-metro-jakarta-pusat,99.99,\n"
        "polsek,Polsek Bad Code,Bad,polres-metro-jakarta-pusat,31.71.04,91\n",
    )
    with pytest.raises(CsvImportError) as err:
        import_csv(path)
    text = "\n".join(err.value.errors)
    assert "row 3: parent_code 'polsek-johar-baru' is a polsek, expected a polres" in text
    assert "row 4: kind 'kapolsek'" in text
    assert "row 5: wilayah 99.99 is not in the territory" in text
    assert "row 6: code 'Polsek Bad Code'" in text
    assert "row 6: lat 91.0 is outside" in text
    assert "row 2" not in text
    assert PoliceUnit.objects.count() == units_before
    assert not PoliceUnit.objects.filter(code="polsek-ok").exists()


def test_bad_officer_rows_are_reported(db, tmp_path):
    path = write(
        tmp_path,
        "nrp,name,rank,position,unit_code,kelurahan\n"
        "12,Too Short,Aiptu,,polsek-johar-baru,31.71.08.1003\n"
        "88000001,Wrong Rank,Sersan,,polsek-johar-baru,31.71.08.1003\n"
        "88000002,Wrong Area,Aiptu,,polsek-johar-baru,31.71.01.1001\n"
        "88000003,No Unit,Aiptu,,polsek-nowhere,31.71.08.1003\n",
    )
    before = Officer.objects.count()
    with pytest.raises(CsvImportError) as err:
        import_csv(path)
    text = "\n".join(err.value.errors)
    assert "row 2: nrp '12'" in text
    assert "row 3: rank 'Sersan'" in text
    assert "row 4: kelurahan 31.71.01.1001 is outside Polsek Johar Baru's area" in text
    assert "row 5: unit_code 'polsek-nowhere'" in text
    assert Officer.objects.count() == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty file"),
        (b"foo,bar\n1,2\n", "matches no template"),
        (b"kind,code,name,parent_code,wilayah\n\xff\xfe\n", "not UTF-8"),
        (b'kind,code,name,parent_code,wilayah\n"polsek,x\n', "not valid CSV"),
        (b"kind,code,name,parent_code,wilayah\npolda,a,b,,31,extra\n", "more cells"),
    ],
)
def test_malformed_files_get_clear_errors(db, tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(CsvImportError, match=message):
        import_csv(path)


def test_the_command_reports_bad_rows_and_exits_non_zero(db, tmp_path):
    path = write(tmp_path, "kind,code,name,parent_code,wilayah\npolsek,x,X,nowhere,31.71.01\n")
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("units", "import", str(path))
    with pytest.raises(CommandError, match="file not found"):
        call_command("units", "import", str(tmp_path / "missing.csv"))

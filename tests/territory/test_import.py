"""The territory importer on the real Kemendagri files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sejuk.territory.importers import import_territory
from sejuk.territory.models import ImportRun, Level, Wilayah
from sejuk.territory.sources import SourceError, read_codes

GALUR = "31.71.08.1003"


def counts() -> tuple[int, int, int, int]:
    through = Wilayah.neighbours.through.objects.count()
    with_geom = Wilayah.objects.filter(geometry__isnull=False).count()
    return Wilayah.objects.count(), with_geom, through, ImportRun.objects.count()


def test_galurs_parents_run_up_to_dki_jakarta(db):
    galur = Wilayah.objects.get(kode=GALUR)
    names = [(p.kode, p.nama) for p in galur.ancestors()]
    assert names[0] == ("31.71.08", "Johar Baru")
    assert names[1][0] == "31.71" and "Jakarta Pusat" in names[1][1]
    assert names[2][0] == "31" and "Jakarta" in names[2][1]
    assert len(names) == 3
    assert galur.level == Level.KELURAHAN
    assert galur.parent_id == "31.71.08"


def test_all_codes_for_indonesia_are_imported(db):
    by_level = {lvl: Wilayah.objects.filter(level=lvl).count() for lvl in Level.values}
    assert by_level == {1: 38, 2: 514, 3: 7285, 4: 83762}


def test_dki_jakarta_has_267_kelurahan_all_with_boundaries(db):
    kel = Wilayah.objects.within("31").filter(level=Level.KELURAHAN)
    assert kel.count() == 267
    assert kel.filter(geometry__isnull=True).count() == 0
    assert kel.filter(area_km2__gt=0).count() == 267


def test_galurs_neighbours_include_tanah_tinggi_and_kampung_rawa(db):
    galur = Wilayah.objects.get(kode=GALUR)
    names = set(galur.neighbours.values_list("nama", flat=True))
    assert {"Tanah Tinggi", "Kampung Rawa"} <= names
    assert "Galur" not in names
    # symmetric
    tanah_tinggi = Wilayah.objects.get(nama="Tanah Tinggi", parent_id="31.71.08")
    assert tanah_tinggi.neighbours.filter(kode=GALUR).exists()


def test_geometry_is_geojson_lng_lat_with_centroid_and_area(db):
    galur = Wilayah.objects.get(kode=GALUR)
    assert galur.geometry["type"] in ("Polygon", "MultiPolygon")
    lng, lat = galur.geometry["coordinates"][0][0][:2]
    assert 106.7 < lng < 107.0 and -6.3 < lat < -6.1
    assert -6.19 < galur.centroid_lat < -6.16 and 106.84 < galur.centroid_lon < 106.87
    assert 0.1 < galur.area_km2 < 1.0


def test_a_second_import_changes_nothing(db, data):
    before = counts()
    galur_before = Wilayah.objects.get(kode=GALUR)
    result = import_territory(data / "wilayah" / "wilayah.sql", data / "wilayah" / "boundaries")
    assert not result.changed
    assert result.created == result.updated == result.boundaries_set == 0
    assert result.neighbour_links_added == result.neighbour_links_removed == 0
    assert result.unchanged == 91599
    after = counts()
    assert after[:3] == before[:3]
    galur_after = Wilayah.objects.get(kode=GALUR)
    assert galur_after.geometry == galur_before.geometry


def _truncated_copy(src: Path, dst: Path, fraction: float) -> Path:
    raw = src.read_bytes()
    dst.write_bytes(raw[: int(len(raw) * fraction)])
    return dst


def test_a_truncated_codes_file_fails_cleanly_and_changes_nothing(db, data, tmp_path):
    before = counts()
    bad = _truncated_copy(data / "wilayah" / "wilayah.sql", tmp_path / "wilayah.sql", 0.6)
    with pytest.raises(SourceError) as err:
        import_territory(bad, None)
    msg = str(err.value)
    assert "wilayah.sql:" in msg  # names the file and line
    assert "truncated" in msg or "never closed" in msg
    assert counts() == before


def test_a_file_cut_exactly_after_a_row_is_reported_as_truncated(db, tmp_path):
    path = tmp_path / "wilayah.sql"
    path.write_text(
        "INSERT INTO wilayah (kode, nama) VALUES\n('31','DKI'),\n('31.71','Jakarta Pusat'),\n",
        encoding="utf-8",
    )
    with pytest.raises(
        SourceError, match=r"wilayah.sql:1: file ends inside the statement .*truncated"
    ):
        read_codes(path)


def test_a_malformed_row_is_named_by_line_and_nothing_is_imported(db, data, tmp_path):
    before = counts()
    text = (data / "wilayah" / "wilayah.sql").read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    idx = next(i for i, line in enumerate(lines) if line.startswith("('31.71.08.1003'"))
    lines[idx] = "('31.71.08.1003','Galur', 'extra'),\n"
    bad = tmp_path / "wilayah.sql"
    bad.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(SourceError) as err:
        import_territory(bad, None)
    assert f"wilayah.sql:{idx + 1}:" in str(err.value)
    assert "3 values for 2 columns" in str(err.value)
    assert counts() == before


def test_a_bad_code_is_reported_with_its_line(tmp_path):
    path = tmp_path / "w.sql"
    path.write_text("INSERT INTO wilayah (kode, nama) VALUES\n('31','DKI'),\n('31.7X','Bad');\n")
    with pytest.raises(SourceError, match=r"w.sql:3: bad kode '31.7X'"):
        read_codes(path)


def test_an_orphan_code_is_rejected(tmp_path):
    path = tmp_path / "w.sql"
    path.write_text(
        "INSERT INTO wilayah (kode, nama) VALUES ('31','DKI'),\n('31.71.08','Johar Baru');\n"
    )
    with pytest.raises(SourceError, match=r"w.sql:2: kode 31.71.08 has no parent 31.71"):
        read_codes(path)


def test_a_truncated_boundary_file_fails_cleanly_and_changes_nothing(db, data, tmp_path):
    before = counts()
    bdir = tmp_path / "boundaries"
    shutil.copytree(data / "wilayah" / "boundaries", bdir)
    target = bdir / "kel" / "wilayah_boundaries_kel_31.71.sql"
    _truncated_copy(target, target, 0.5)
    with pytest.raises(SourceError) as err:
        import_territory(None, bdir)
    assert "wilayah_boundaries_kel_31.71.sql:" in str(err.value)
    assert counts() == before


def test_a_boundary_with_swapped_or_broken_coordinates_names_the_record(db, data, tmp_path):
    before = counts()
    bdir = tmp_path / "boundaries"
    bdir.mkdir()
    (bdir / "b.sql").write_text(
        "INSERT INTO wilayah_boundaries(kode,nama,lat,lng,path) VALUES\n"
        "('31.71.08.1003','Galur',-6.17,106.85,'[[[106.85,-6.17],[106.86,-6.17],[106.86,-6.18]]]');\n"
    )
    with pytest.raises(SourceError, match=r"b.sql:2: kode 31.71.08.1003"):
        import_territory(None, bdir)
    assert counts() == before


def test_an_error_while_writing_rolls_back_the_codes_too(db, tmp_path):
    """Codes are written before boundaries; a bad boundary must undo them."""
    before = counts()
    codes = tmp_path / "w.sql"
    codes.write_text("INSERT INTO wilayah (kode, nama) VALUES ('99','Provinsi Uji');\n")
    bdir = tmp_path / "b"
    bdir.mkdir()
    (bdir / "x.sql").write_text(
        "INSERT INTO wilayah_boundaries(kode,nama,lat,lng,path) VALUES "
        "('99.01','Nowhere',0,0,'[[[-6.1,106.8],[-6.1,106.9],[-6.2,106.9],[-6.1,106.8]]]');\n"
    )
    with pytest.raises(SourceError, match="not in the codes"):
        import_territory(codes, bdir)
    assert not Wilayah.objects.filter(kode="99").exists()
    assert counts() == before

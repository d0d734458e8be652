"""Scoping: every page and API call sees only the user's unit and territory."""

from __future__ import annotations

import pytest

from sejuk.accounts.access import scope_for, visible_officers, visible_units, visible_wilayah
from sejuk.accounts.models import Role, User
from sejuk.territory.models import Level, Officer, PoliceUnit

GALUR = "31.71.08.1003"
TANAH_TINGGI = "31.71.08.1004"
GAMBIR_KEL = "31.71.01.1001"


def officer_of(kode: str) -> Officer:
    return Officer.objects.get(kelurahan__kode=kode, position="Bhabinkamtibmas")


def test_the_galur_officer_sees_only_galur(galur):
    scope = scope_for(galur)
    assert scope.prefixes == (GALUR,)
    assert list(visible_wilayah(galur).values_list("kode", flat=True)) == [GALUR]
    assert scope.covers(GALUR) and not scope.covers(TANAH_TINGGI)


def test_the_galur_officer_is_denied_tanah_tinggis_officer_record(galur):
    other = officer_of(TANAH_TINGGI)
    assert not visible_officers(galur).filter(pk=other.pk).exists()
    assert visible_officers(galur).filter(pk=galur.officer_id).exists()


def test_the_galur_officer_is_denied_tanah_tinggi_pages(client_for, galur):
    client = client_for(galur)
    other = officer_of(TANAH_TINGGI)
    assert client.get(f"/wilayah/{TANAH_TINGGI}/").status_code == 404
    assert client.get(f"/wilayah/{TANAH_TINGGI}/geojson").status_code == 404
    assert client.get(f"/officers/{other.pk}/").status_code == 404
    assert client.get(f"/officers/{galur.officer_id}/").status_code == 200
    assert client.get(f"/wilayah/{GALUR}/").status_code == 200


def test_the_galur_officer_is_denied_tanah_tinggi_in_the_api(client_for, galur):
    client = client_for(galur)
    other = officer_of(TANAH_TINGGI)
    assert client.get(f"/api/v1/officers/{other.pk}").status_code == 404
    assert client.get(f"/api/v1/wilayah/{TANAH_TINGGI}").status_code == 404
    ids = {o["id"] for o in client.get("/api/v1/officers").json()}
    assert ids == {galur.officer_id}
    kodes = {w["kode"] for w in client.get("/api/v1/wilayah").json()}
    assert kodes == {GALUR}


def test_the_galur_officer_is_denied_another_polseks_data(client_for, galur):
    client = client_for(galur)
    gambir = PoliceUnit.objects.get(code="polsek-gambir")
    gambir_officer = officer_of(GAMBIR_KEL)
    assert client.get(f"/units/{gambir.pk}/").status_code == 404
    assert client.get(f"/api/v1/units/{gambir.pk}").status_code == 404
    assert client.get(f"/api/v1/officers/{gambir_officer.pk}").status_code == 404
    assert client.get(f"/officers/{gambir_officer.pk}/").status_code == 404
    assert client.get(f"/wilayah/{GAMBIR_KEL}/").status_code == 404
    assert "polsek-gambir" not in {u["code"] for u in client.get("/api/v1/units").json()}


def test_the_kapolsek_sees_every_kelurahan_and_officer_of_the_sector(kapolsek_jb):
    kel = set(
        visible_wilayah(kapolsek_jb).filter(level=Level.KELURAHAN).values_list("nama", flat=True)
    )
    assert kel == {"Johar Baru", "Kampung Rawa", "Galur", "Tanah Tinggi"}
    officers = visible_officers(kapolsek_jb)
    assert officers.filter(kelurahan__kode=TANAH_TINGGI).exists()
    assert officers.filter(kelurahan__kode=GALUR).exists()
    assert not officers.filter(unit__code="polsek-gambir").exists()


def test_a_kapolsek_is_denied_another_sector(client_for, kapolsek_gambir):
    client = client_for(kapolsek_gambir)
    assert client.get(f"/wilayah/{GALUR}/").status_code == 404
    assert client.get(f"/api/v1/officers/{officer_of(GALUR).pk}").status_code == 404
    assert client.get(f"/wilayah/{GAMBIR_KEL}/").status_code == 200


def test_the_kapolres_sees_all_polsek_of_jakarta_pusat_but_not_other_cities(kapolres, client_for):
    units = set(visible_units(kapolres).values_list("code", flat=True))
    assert "polsek-gambir" in units and "polsek-johar-baru" in units
    assert "polda-metro-jaya" not in units
    assert visible_wilayah(kapolres).filter(level=Level.KELURAHAN).count() == 44
    client = client_for(kapolres)
    assert client.get("/wilayah/31.72/").status_code == 404  # Jakarta Utara
    assert client.get(f"/wilayah/{GALUR}/").status_code == 200


def test_a_user_without_a_unit_sees_nothing(db):
    user = User.objects.create_user("nobody", password="x" * 12, role=Role.ANALYST)
    assert scope_for(user).empty
    assert not visible_wilayah(user).exists()
    assert not visible_officers(user).exists()
    assert not visible_units(user).exists()


def test_admin_sees_everything(admin_demo):
    assert scope_for(admin_demo).everything
    assert visible_wilayah(admin_demo).filter(level=Level.KELURAHAN).count() == 83762


def test_a_bhabinkamtibmas_without_an_officer_record_sees_nothing(db):
    unit = PoliceUnit.objects.get(code="polsek-johar-baru")
    user = User.objects.create_user(
        "orphan", password="x" * 12, role=Role.BHABINKAMTIBMAS, unit=unit
    )
    assert scope_for(user).empty
    assert not visible_wilayah(user).exists()


@pytest.mark.parametrize("path", ["/", f"/wilayah/{GALUR}/", "/api/v1/officers", "/api/v1/me"])
def test_anonymous_users_are_sent_to_login_or_refused(client, db, path):
    response = client.get(path)
    if path.startswith("/api/"):
        assert response.status_code == 401
    else:
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_home_page_for_each_role_renders(client_for, db):
    for user in User.objects.filter(is_demo=True):
        client = client_for(user)
        response = client.get("/")
        assert response.status_code == 200, user.username
        client.logout()

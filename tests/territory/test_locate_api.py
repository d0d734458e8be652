"""GET /api/v1/wilayah/locate on the real Jakarta boundaries."""

from __future__ import annotations

import pytest

from sejuk.accounts.models import ApiToken
from sejuk.territory.locate import locate_many


@pytest.fixture
def api(client_for, kapolres):
    return client_for(kapolres)


def test_a_point_in_galur_is_located_to_galur(api):
    r = api.get("/api/v1/wilayah/locate", {"lat": -6.1762, "lon": 106.8554})
    assert r.status_code == 200
    body = r.json()
    assert body["kode"] == "31.71.08.1003" and body["nama"] == "Galur"
    assert [p["kode"] for p in body["parents"]] == ["31.71.08", "31.71", "31"]


def test_a_point_outside_every_polygon_is_404(api):
    r = api.get("/api/v1/wilayah/locate", {"lat": -5.9, "lon": 106.0})
    assert r.status_code == 404
    assert "No kelurahan" in r.json()["detail"]


@pytest.mark.parametrize(
    "params",
    [
        {"lat": 200, "lon": 106.8},
        {"lat": -6.1, "lon": 181},
        {"lat": "abc", "lon": 106.8},
        {"lat": -6.1},
        {"lat": "nan", "lon": 106.8},
    ],
)
def test_bad_coordinates_get_422_with_a_message(api, params):
    r = api.get("/api/v1/wilayah/locate", params)
    assert r.status_code == 422, r.content
    body = r.json()
    assert body["message"]
    assert body["detail"]


def test_locate_needs_authentication(client, db):
    assert client.get("/api/v1/wilayah/locate", {"lat": -6.17, "lon": 106.85}).status_code == 401


def test_an_api_token_authenticates_and_a_revoked_one_does_not(client, kapolres):
    token, secret = ApiToken.issue(kapolres, "integration test")
    r = client.get(
        "/api/v1/wilayah/locate",
        {"lat": -6.1762, "lon": 106.8554},
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert r.status_code == 200 and r.json()["kode"] == "31.71.08.1003"
    token.refresh_from_db()
    assert token.last_used_at is not None
    token.revoke()
    r = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert r.status_code == 401
    r = client.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer sjk_nothing_here")
    assert r.status_code == 401


def test_the_bulk_lookup_locates_centroids_back_to_their_kelurahan(db):
    from sejuk.territory.models import Level, Wilayah

    rows = list(
        Wilayah.objects.filter(level=Level.KELURAHAN, geometry__isnull=False).values_list(
            "kode", "centroid_lat", "centroid_lon"
        )
    )
    found = locate_many([r[1] for r in rows], [r[2] for r in rows])
    assert sum(f == r[0] for f, r in zip(found, rows, strict=True)) == len(rows) == 267


def test_the_openapi_document_is_served(client, db):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    assert doc["openapi"].startswith("3.")
    assert "/api/v1/wilayah/locate" in doc["paths"]
    assert "/api/v1/officers/{officer_id}" in doc["paths"]

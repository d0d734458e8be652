"""The signed webhook for posts: authentication, malformed bodies, never a 500."""

from __future__ import annotations

import json

import pytest

from sejuk.monitoring.models import Post
from sejuk.monitoring.webhooks import sign

SECRET = "test-webhook-secret-0123456789"
URL = "/webhooks/monitoring"
POST = {
    "platform": "twitter",
    "id": "wh-1",
    "author": "warga_galur88",
    "time": "2024-11-24T07:05:00+07:00",
    "text": "Beredar kabar TPS 011 Galur dipindah, warga diminta cek ke KPPS",
    "lat": -6.1762,
    "lon": 106.8554,
}


@pytest.fixture
def secret(settings, db):
    settings.SEJUK_MONITORING_WEBHOOK_SECRET = SECRET
    return SECRET


def _send(client, body: bytes, signature: str | None = None, path: str = URL):
    headers = {} if signature is None else {"HTTP_X_SEJUK_SIGNATURE": signature}
    return client.post(path, data=body, content_type="application/json", **headers)


def test_a_signed_post_is_ingested(client, secret):
    body = json.dumps({"posts": [POST]}).encode()
    response = _send(client, body, sign(body, secret))
    assert response.status_code == 200, response.content
    assert response.json()["ingested"] == 1
    post = Post.objects.get(external_id="wh-1")
    assert (post.source, post.kelurahan_id) == ("webhook", "31.71.08.1003")


def test_both_url_spellings_work_and_a_single_object_is_accepted(client, secret):
    body = json.dumps(POST).encode()
    assert _send(client, body, sign(body, secret), path=URL + "/").status_code == 200
    # The same post again is a duplicate, not an error.
    again = _send(client, body, sign(body, secret))
    assert again.status_code == 200
    assert again.json()["duplicates"] == 1


def test_without_a_signature_it_is_401(client, secret):
    response = _send(client, json.dumps(POST).encode())
    assert response.status_code == 401
    assert not Post.objects.exists()


def test_a_wrong_signature_is_403(client, secret):
    body = json.dumps(POST).encode()
    assert _send(client, body, sign(body, "another-secret")).status_code == 403
    assert _send(client, body, "sha256=" + "0" * 64).status_code == 403
    assert _send(client, body, "garbage").status_code == 403
    # Signed for a different body: the body was altered on the way.
    assert _send(client, body + b" ", sign(body, secret)).status_code == 403
    assert not Post.objects.exists()


def test_an_unconfigured_webhook_refuses_everything(client, settings, db):
    settings.SEJUK_MONITORING_WEBHOOK_SECRET = ""
    body = json.dumps(POST).encode()
    assert _send(client, body, sign(body, "")).status_code == 403


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"\xff\xfegarbage\xc3", b"", b"[" * 100_000 + b"]" * 100_000],
    ids=["broken", "binary", "empty", "deep"],
)
def test_a_body_that_is_not_json_is_400(client, secret, body):
    response = _send(client, body, sign(body, secret))
    assert response.status_code == 400, response.content


@pytest.mark.parametrize(
    ("payload", "needle"),
    [
        ({"posts": "nope"}, "posts must be a list"),
        ({"posts": []}, "no posts"),
        ({"platform": "twitter"}, "missing field(s) author, text, time"),
        ({**POST, "text": "x" * 20_000}, "at most 10,000"),
        ({**POST, "lat": "north"}, "not a number"),
        ({**POST, "time": 123}, "out of range"),
        ([1, "two", None], "must be a JSON object"),
        ({**POST, "extra": 1}, "unknown field(s) 'extra'"),
    ],
)
def test_posts_with_wrong_fields_are_422_with_the_reason(client, secret, payload, needle):
    body = json.dumps(payload).encode()
    response = _send(client, body, sign(body, secret))
    assert response.status_code == 422, response.content
    assert needle in json.dumps(response.json())
    assert not Post.objects.exists()


def test_good_items_are_kept_when_others_fail(client, secret):
    bad = {**POST, "id": "wh-bad", "time": "yesterday"}
    body = json.dumps({"posts": [POST, bad]}).encode()
    response = _send(client, body, sign(body, secret))
    assert response.status_code == 200
    data = response.json()
    assert data["ingested"] == 1
    assert data["errors"] == [{"line": 2, "error": data["errors"][0]["error"]}]
    assert "ISO 8601" in data["errors"][0]["error"]


def test_other_methods_are_refused(client, secret):
    assert client.get(URL).status_code == 405


def test_a_body_over_the_limit_is_413(client, secret):
    body = b'{"posts": [' + b" " * (2 * 1024 * 1024) + b"]}"
    assert _send(client, body, sign(body, secret)).status_code == 413

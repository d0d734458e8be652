"""`sejuk demo` as a person runs it, checked over plain HTTP (no browser)."""

from __future__ import annotations

import http.cookiejar
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

pytestmark = pytest.mark.e2e

PASSWORD = "sejuk-demo-2024"
ROLES = [
    "bhabinkamtibmas",
    "kapolsek",
    "polsek_staff",
    "kapolres",
    "polres_staff",
    "humas",
    "operator_110",
    "analyst",
    "admin",
]
GALUR = "31.71.08.1003"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # surface the 3xx as an HTTPError instead of following it


class Client:
    """A tiny cookie-keeping HTTP client on urllib (like requests.Session)."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )

    def request(self, path: str, data: dict | None = None, headers: dict | None = None):
        """Return (status, headers, body bytes); never raises for HTTP statuses."""
        url = urllib.parse.urljoin(self.base_url, path)
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(url, data=body, headers=headers or {})
        try:
            with self.opener.open(req, timeout=30) as resp:
                return resp.status, resp.headers, resp.read()
        except urllib.error.HTTPError as err:
            with err:
                return err.code, err.headers, err.read()

    def get_json(self, path: str):
        status, _headers, body = self.request(path, headers={"Accept": "application/json"})
        try:
            payload = json.loads(body)
        except ValueError:
            pytest.fail(f"GET {path} -> {status}, not JSON: {body[:300]!r}")
        return status, payload

    def cookie(self, name: str) -> str | None:
        return next((c.value for c in self.jar if c.name == name), None)

    def login(self, username: str, password: str):
        status, _h, body = self.request("/login/")
        assert status == 200, f"GET /login/ -> {status}"
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
        assert match, "no CSRF token in the login form"
        assert self.cookie("csrftoken"), "the login page did not set the csrftoken cookie"
        return self.request(
            "/login/",
            data={
                "csrfmiddlewaretoken": match.group(1).decode(),
                "username": username,
                "password": password,
                "next": "",
            },
            headers={"Referer": urllib.parse.urljoin(self.base_url, "/login/")},
        )


def test_demo_prints_url_and_one_login_per_role(demo_server):
    out = demo_server.stdout_at_start or demo_server.output
    assert f"http://127.0.0.1:{demo_server.port}/" in out, (
        f"the demo did not print its URL; output so far:\n{demo_server.log_tail()}"
    )
    assert PASSWORD in out, "the demo did not print the shared demo password"
    table = [line.split() for line in out.splitlines()]
    printed = {row[1] for row in table if len(row) >= 2}
    missing = [r for r in ROLES if r not in printed]
    assert not missing, f"no demo login printed for roles {missing}; output:\n{out[-3000:]}"
    usernames = {row[0] for row in table if len(row) >= 2 and row[1] in ROLES}
    for expected in ("galur", "tanahtinggi", "kapolsek.joharbaru", "kapolres.jakpus", "admin"):
        assert expected in usernames, f"login {expected!r} missing from the printed table"


def test_background_worker_ran_heartbeat(demo_server):
    client = Client(demo_server.base_url)
    deadline = time.monotonic() + 60
    payload: dict = {}
    while True:
        status, payload = client.get_json("/healthz")
        assert status == 200
        assert payload.get("ok") is True
        assert "worker_seen_at" in payload, f"/healthz has no worker_seen_at field: {payload}"
        if payload["worker_seen_at"] is not None:
            break
        if time.monotonic() > deadline:
            pytest.fail(
                f"the worker never ran the heartbeat within 60 s: {payload}\n"
                f"log tail:\n{demo_server.log_tail()}"
            )
        time.sleep(1)


def test_openapi_schema(demo_server):
    status, schema = Client(demo_server.base_url).get_json("/api/v1/openapi.json")
    assert status == 200
    assert "openapi" in schema
    assert "/api/v1/wilayah/locate" in schema.get("paths", {})


def test_login_form_wrong_password_401_right_password_redirects(demo_server):
    client = Client(demo_server.base_url)
    status, _h, body = client.login("tanahtinggi", "not-the-password")
    assert status == 401, f"wrong password -> {status}"
    assert b'name="username"' in body, "the 401 should re-render the login form"
    assert client.cookie("sessionid") is None

    status, headers, _body = client.login("tanahtinggi", PASSWORD)
    assert status in (302, 303), f"right password -> {status}"
    assert urllib.parse.urlsplit(headers["Location"]).path == "/"
    assert client.cookie("sessionid"), "no session cookie after a successful login"

    status, _h, body = client.request("/")
    assert status == 200
    assert b'data-testid="who"' in body


def test_api_locate_needs_auth(demo_server):
    status, payload = Client(demo_server.base_url).get_json(
        "/api/v1/wilayah/locate?lat=-6.1762&lon=106.8554"
    )
    assert status == 401, payload


def test_api_locate_with_session(demo_server):
    client = Client(demo_server.base_url)
    status, _h, _b = client.login("galur", PASSWORD)
    assert status in (302, 303), f"login as galur -> {status}"

    status, payload = client.get_json("/api/v1/wilayah/locate?lat=-6.1762&lon=106.8554")
    assert status == 200, payload
    assert payload["kode"] == GALUR
    assert "Galur" in payload["nama"]
    assert "31.71.08" in {p["kode"] for p in payload["parents"]}, payload

    status, payload = client.get_json("/api/v1/wilayah/locate?lat=200&lon=106.8554")
    assert status == 422, payload
    assert isinstance(payload.get("message"), str) and payload["message"], payload
    assert "lat" in payload["message"]

    status, payload = client.get_json("/api/v1/wilayah/locate?lat=abc&lon=106.8554")
    assert status == 422, payload
    assert payload.get("message"), payload

    status, payload = client.get_json("/api/v1/wilayah/locate?lat=-5.9&lon=106.0")
    assert status == 404, payload
    assert payload.get("detail"), payload

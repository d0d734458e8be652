from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from sejuk.lib.env import envbool, envfloat, envint, envlist, envstr


def test_envbool_accepts_common_spellings_and_rejects_typos(monkeypatch):
    for raw, expected in [("1", True), ("yes", True), ("off", False), ("", False)]:
        monkeypatch.setenv("X_FLAG", raw)
        assert envbool("X_FLAG", not expected) is expected
    monkeypatch.setenv("X_FLAG", "treu")
    with pytest.raises(ImproperlyConfigured, match="X_FLAG='treu' is not a boolean"):
        envbool("X_FLAG", False)


def test_envint_validates(monkeypatch):
    monkeypatch.setenv("X_INT", "12a")
    with pytest.raises(ImproperlyConfigured, match="not an integer"):
        envint("X_INT", 1)
    monkeypatch.setenv("X_INT", "0")
    with pytest.raises(ImproperlyConfigured, match="at least 1"):
        envint("X_INT", 5, minimum=1)


def test_envfloat_validates(monkeypatch):
    assert envfloat("X_FLOAT", 0.5) == 0.5
    monkeypatch.setenv("X_FLOAT", "0.02")
    assert envfloat("X_FLOAT", 0.5, minimum=0.0001, maximum=1) == 0.02
    for raw, message in (("abc", "not a number"), ("nan", "not a finite"), ("inf", "not a finite"),
                         ("0", "at least 0.0001"), ("2", "at most 1")):  # fmt: skip
        monkeypatch.setenv("X_FLOAT", raw)
        with pytest.raises(ImproperlyConfigured, match=message):
            envfloat("X_FLOAT", 0.5, minimum=0.0001, maximum=1)


def test_file_variants_and_lists(monkeypatch, tmp_path):
    secret = tmp_path / "s"
    secret.write_text("from-a-file\n")
    monkeypatch.setenv("X_SECRET_FILE", str(secret))
    assert envstr("X_SECRET") == "from-a-file"
    monkeypatch.setenv("X_HOSTS", "a.example, b.example,,")
    assert envlist("X_HOSTS", []) == ["a.example", "b.example"]


def _settings_in_child(env: dict) -> subprocess.CompletedProcess:
    full = {**os.environ, **env}
    full.pop("DATABASE_URL", None) if "DATABASE_URL" not in env else None
    return subprocess.run(
        [sys.executable, "-m", "sejuk", "check", "--deploy", "--fail-level", "CRITICAL"],
        env=full,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DATABASE_URL": "mysql://x@localhost/db"}, "supports sqlite:// and postgres://"),
        ({"SEJUK_DEBUG": "maybe"}, "SEJUK_DEBUG='maybe' is not a boolean"),
        ({"SEJUK_SECRET_KEY": "short"}, "at least 32 characters"),
        ({"SEJUK_TILE_URL": "ftp://tiles"}, "SEJUK_TILE_URL must be"),
        ({"SEJUK_SESSION_SECONDS": "10"}, "must be at least 300"),
    ],
)
def test_bad_settings_stop_the_cli_with_a_clear_message(tmp_path, env, message):
    result = _settings_in_child({"SEJUK_STATE_DIR": str(tmp_path), **env})
    assert result.returncode != 0
    assert message in result.stderr


def test_zero_configuration_creates_a_persistent_secret_key(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SEJUK_SECRET_KEY")}
    env["SEJUK_STATE_DIR"] = str(tmp_path)
    code = (
        "import django;django.setup();from django.conf import settings;print(settings.SECRET_KEY)"
    )
    env["DJANGO_SETTINGS_MODULE"] = "sejuk.settings"
    first = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    second = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert first.stdout == second.stdout and len(first.stdout.strip()) >= 50
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_json_bodies_with_nul_characters_are_refused_with_422(client, db):
    r = client.post(
        "/api/v1/reports",
        '{"category": "other", "description": "ada\\u0000kejadian di TPS 11 Galur"}',
        content_type="application/json",
    )
    assert r.status_code == 422 and "NUL" in r.json()["detail"]


def test_nul_characters_in_query_strings_and_forms_are_refused(client_for, galur):
    client = client_for(galur)
    r = client.get("/api/v1/field/activities?kelurahan=31.71%00")
    assert r.status_code == 422 and "query string" in r.json()["message"]
    r = client.get("/fieldwork/titik/", {"kelurahan": "31.71\x00"})
    assert r.status_code == 422
    r = client.post(
        "/login/", "username=galur%00&password=x", content_type="application/x-www-form-urlencoded"
    )
    assert r.status_code == 422 and "form" in r.json()["message"]
    # Multipart too: on PostgreSQL this once reached the database as a 500.
    r = client.post("/login/", {"username": "galur\x00", "password": "x"})
    assert r.status_code == 422

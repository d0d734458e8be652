"""Password login: secure defaults, throttling, audit."""

from __future__ import annotations

from django.conf import settings

from sejuk.accounts.models import AuditAction, AuditEntry
from sejuk.core.demo import DEMO_PASSWORD


def test_a_right_password_logs_in_and_lands_on_home(client, galur):
    r = client.post("/login/", {"username": "galur", "password": DEMO_PASSWORD})
    assert r.status_code == 302 and r["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert "Galur" in home.content.decode()
    assert AuditEntry.objects.filter(action=AuditAction.LOGIN, actor_username="galur").exists()


def test_a_wrong_password_is_refused_and_audited(client, galur):
    r = client.post("/login/", {"username": "galur", "password": "wrong"})
    assert r.status_code == 401
    assert "_auth_user_id" not in client.session
    assert AuditEntry.objects.filter(action=AuditAction.LOGIN_FAILED, object_repr="galur").exists()


def test_login_is_throttled_after_repeated_failures(client, galur):
    for _ in range(settings.LOGIN_MAX_ATTEMPTS):
        assert client.post("/login/", {"username": "galur", "password": "wrong"}).status_code == 401
    r = client.post("/login/", {"username": "galur", "password": DEMO_PASSWORD})
    assert r.status_code == 429
    assert "_auth_user_id" not in client.session
    # A different account from another address is not affected.
    other = client.post(
        "/login/",
        {"username": "kapolres.jakpus", "password": DEMO_PASSWORD},
        REMOTE_ADDR="10.9.9.9",
    )
    assert other.status_code == 302


def test_the_open_redirect_is_refused(client, galur):
    r = client.post(
        "/login/", {"username": "galur", "password": DEMO_PASSWORD, "next": "https://evil.example/"}
    )
    assert r.status_code == 302 and r["Location"] == "/"


def test_sessions_expire_and_cookies_are_http_only():
    assert settings.SESSION_COOKIE_AGE <= 12 * 3600
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    assert settings.SESSION_COOKIE_HTTPONLY
    assert settings.X_FRAME_OPTIONS == "DENY"


def test_logout_needs_post_and_ends_the_session(client_for, galur):
    client = client_for(galur)
    assert client.get("/logout/").status_code == 405
    assert client.post("/logout/").status_code == 302
    assert client.get("/").status_code == 302


def test_the_ui_speaks_indonesian_by_default_and_english_on_request(client, db):
    r = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert 'lang="id"' in r.content.decode()
    assert "Masuk" in r.content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    r = client.get("/login/")
    assert 'lang="en"' in r.content.decode()
    assert "Log in" in r.content.decode()

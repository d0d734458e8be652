"""Django settings for Sejuk, read from environment variables.

A fresh checkout runs with zero configuration on an embedded SQLite database
under ``var/``. Production sets at least ``SEJUK_SECRET_KEY``, ``DATABASE_URL``
and ``SEJUK_ALLOWED_HOSTS``. See docs/configuration.md for every variable.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from sejuk.lib.env import envbool, envfloat, envint, envlist, envpath, envstr

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent

# Where runtime state lives: the SQLite database, uploaded media, trained
# models and the generated secret key. Never inside git.
STATE_DIR: Path = envpath("SEJUK_STATE_DIR", PROJECT_DIR / "var")  # type: ignore[assignment]


def _default_data_dir() -> Path | None:
    for candidate in (
        PROJECT_DIR.parent / "shared" / "data",
        Path.cwd().parent / "shared" / "data",
        STATE_DIR / "data",  # where `sejuk data fetch` puts files by default
    ):
        if candidate.is_dir():
            return candidate.resolve()
    return None


# The public data files (territory codes, boundaries, corpora). See
# ../shared/data/README.md and `sejuk data fetch`.
SEJUK_DATA_DIR: Path | None = envpath("SEJUK_DATA_DIR", _default_data_dir())
# Trained models (text classifier, ...): built by `sejuk nlp train`, cached outside git.
SEJUK_MODEL_DIR: Path = envpath("SEJUK_MODEL_DIR", STATE_DIR / "models")  # type: ignore[assignment]

DEBUG = envbool("SEJUK_DEBUG", False)
TESTING = envbool("SEJUK_TESTING", False)


def _secret_key() -> str:
    key = envstr("SEJUK_SECRET_KEY")
    if key:
        if len(key) < 32:
            raise ImproperlyConfigured("SEJUK_SECRET_KEY must be at least 32 characters long")
        return key
    # Zero-configuration: generate a key once and keep it in the state dir so
    # sessions survive restarts of the demo.
    path = STATE_DIR / "secret_key"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    path.write_text(key, encoding="utf-8")
    path.chmod(0o600)
    return key


SECRET_KEY = _secret_key()


def _reporter_keys() -> str:
    """Fernet key(s) for reporter identity; generated once for zero-config installs."""
    keys = envstr("SEJUK_REPORTER_KEY")
    if keys:
        from cryptography.fernet import Fernet

        for k in keys.split(","):
            try:
                Fernet(k.strip().encode())
            except ValueError:
                raise ImproperlyConfigured(
                    "SEJUK_REPORTER_KEY must be Fernet keys (32 url-safe base64 bytes), comma-separated"
                ) from None
        return keys
    path = STATE_DIR / "reporter_key"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    from cryptography.fernet import Fernet

    STATE_DIR.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key().decode("ascii")
    path.write_text(key, encoding="utf-8")
    path.chmod(0o600)
    return key


SEJUK_REPORTER_KEYS = _reporter_keys()
ALLOWED_HOSTS = envlist("SEJUK_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = envlist("SEJUK_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "sejuk.accounts",
    "sejuk.territory",
    "sejuk.elections",
    "sejuk.fieldwork",
    "sejuk.reports",
    "sejuk.nlp",
    "sejuk.monitoring",
    "sejuk.risk",
    "sejuk.patrol",
    "sejuk.core",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "sejuk.core.middleware.RejectNulMiddleware",
    "sejuk.core.middleware.IndonesianFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "sejuk.accounts.middleware.AuditContextMiddleware",
]

ROOT_URLCONF = "sejuk.urls"
WSGI_APPLICATION = "sejuk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "sejuk.core.context_processors.sejuk",
            ],
        },
    },
]


def _database() -> dict:
    url = envstr("DATABASE_URL")
    if not url:
        STATE_DIR.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{STATE_DIR / 'sejuk.sqlite3'}"
    try:
        db = dj_database_url.parse(url, conn_max_age=600, conn_health_checks=True)
    except (ValueError, KeyError) as exc:
        raise ImproperlyConfigured(f"DATABASE_URL={url!r} is not understood: {exc}") from exc
    engine = db.get("ENGINE", "")
    if engine == "django.db.backends.sqlite3":
        # WAL lets the web server and the worker read while one writes;
        # IMMEDIATE transactions take the write lock up front, which avoids
        # "database is locked" upgrades from read to write mid-transaction.
        db["OPTIONS"] = {
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000;"
            ),
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
        db["TEST"] = {"NAME": str(STATE_DIR / "test_sejuk.sqlite3")}
    elif engine == "django.db.backends.postgresql":
        pass
    else:
        raise ImproperlyConfigured(
            f"DATABASE_URL uses {engine!r}; Sejuk supports sqlite:// and postgres:// only"
        )
    return db


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Sessions: short-lived, HTTP-only, expire when the browser closes.
SESSION_COOKIE_AGE = envint("SEJUK_SESSION_SECONDS", 8 * 3600, minimum=300)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_SAVE_EVERY_REQUEST = False
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_COOKIES = envbool("SEJUK_SECURE_COOKIES", not DEBUG and envbool("SEJUK_HTTPS", False))
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Login throttling: attempts per window, per username and per client address.
LOGIN_MAX_ATTEMPTS = envint("SEJUK_LOGIN_MAX_ATTEMPTS", 5, minimum=1)
LOGIN_WINDOW_SECONDS = envint("SEJUK_LOGIN_WINDOW_SECONDS", 15 * 60, minimum=1)

LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Bahasa Indonesia")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Jakarta"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = STATE_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns when it is missing
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = STATE_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# The demo serves static files from the app directories through WhiteNoise
# without a collectstatic step.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

TASKS = {
    "default": {
        "BACKEND": envstr("SEJUK_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# Map tiles are optional: with no URL the map draws polygons on a plain
# background, so pages work with no internet at all.
SEJUK_TILE_URL = envstr("SEJUK_TILE_URL", "") or ""
SEJUK_TILE_ATTRIBUTION = envstr("SEJUK_TILE_ATTRIBUTION", "") or ""
if SEJUK_TILE_URL and not SEJUK_TILE_URL.startswith(("http://", "https://", "/")):
    raise ImproperlyConfigured(
        "SEJUK_TILE_URL must be an http(s) URL or a local path, like "
        "https://tile.example.org/{z}/{x}/{y}.png"
    )

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": envstr("SEJUK_LOG_LEVEL", "WARNING")},
}
SEJUK_TRUST_X_FORWARDED_FOR = envbool("SEJUK_TRUST_X_FORWARDED_FOR", False)

if TESTING:
    # Fast hashing in tests only; production keeps Django's PBKDF2 default.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# --- citizen reports (docs/reports.md) ------------------------------------------
# The Polres whose triage queue receives reports that cannot be located.
SEJUK_TRIAGE_UNIT = envstr("SEJUK_TRIAGE_UNIT", "polres-metro-jakarta-pusat")
SEJUK_REOPEN_DAYS = envint("SEJUK_REOPEN_DAYS", 7, minimum=0)
SEJUK_DUPLICATE_WINDOW_MINUTES = envint("SEJUK_DUPLICATE_WINDOW_MINUTES", 120, minimum=0)
SEJUK_DUPLICATE_RADIUS_M = envint("SEJUK_DUPLICATE_RADIUS_M", 300, minimum=0)
SEJUK_PUBLIC_REPORTS_PER_HOUR_IP = envint("SEJUK_PUBLIC_REPORTS_PER_HOUR_IP", 20, minimum=1)
SEJUK_PUBLIC_REPORTS_PER_DAY_PHONE = envint("SEJUK_PUBLIC_REPORTS_PER_DAY_PHONE", 10, minimum=1)
SEJUK_STATUS_LOOKUPS_PER_MINUTE_IP = envint("SEJUK_STATUS_LOOKUPS_PER_MINUTE_IP", 30, minimum=1)
# Dotted path to a callable(text, category) -> {"urgency": ..., "score": ...}; the
# monitoring issue's text classifier plugs in here.
SEJUK_TRIAGE_CLASSIFIER = envstr("SEJUK_TRIAGE_CLASSIFIER", "") or ""
# Outgoing messages: "record" stores them only (default, no network); "live" sends.
SEJUK_SENDERS = envstr("SEJUK_SENDERS", "record") or "record"
# Delivered outbound messages (encrypted) are deleted after this many days.
SEJUK_OUTBOUND_KEEP_DAYS = envint("SEJUK_OUTBOUND_KEEP_DAYS", 30, minimum=1)
SEJUK_WHATSAPP_VERIFY_TOKEN = envstr("SEJUK_WHATSAPP_VERIFY_TOKEN", "") or ""
SEJUK_WHATSAPP_APP_SECRET = envstr("SEJUK_WHATSAPP_APP_SECRET", "") or ""
SEJUK_WHATSAPP_TOKEN = envstr("SEJUK_WHATSAPP_TOKEN", "") or ""
SEJUK_WHATSAPP_PHONE_NUMBER_ID = envstr("SEJUK_WHATSAPP_PHONE_NUMBER_ID", "") or ""
SEJUK_TELEGRAM_SECRET_TOKEN = envstr("SEJUK_TELEGRAM_SECRET_TOKEN", "") or ""
# Shared secret for POST /webhooks/monitoring (HMAC-SHA256 of the body); empty = webhook off.
SEJUK_MONITORING_WEBHOOK_SECRET = envstr("SEJUK_MONITORING_WEBHOOK_SECRET", "") or ""

# Early warning (docs/risk.md): indicator definitions file (empty = the shipped
# ikp-ipkp file), the territory the background job computes (kode prefixes,
# empty = every kelurahan with units), its period, the alert cool-down and the
# forecast used for hotspot alerts.
SEJUK_RISK_INDICATORS = envstr("SEJUK_RISK_INDICATORS", "") or ""
SEJUK_RISK_SCOPE = envstr("SEJUK_RISK_SCOPE", "") or ""
SEJUK_RISK_TICK_MINUTES = envint("SEJUK_RISK_TICK_MINUTES", 60, minimum=1)
SEJUK_RISK_ALERT_COOLDOWN_DAYS = envint("SEJUK_RISK_ALERT_COOLDOWN_DAYS", 7, minimum=0)
SEJUK_RISK_FORECAST_MODEL = envstr("SEJUK_RISK_FORECAST_MODEL", "blend") or "blend"
SEJUK_RISK_FORECAST_TOP_SHARE = envfloat(
    "SEJUK_RISK_FORECAST_TOP_SHARE", 0.01, minimum=0.0001, maximum=1
)
SEJUK_RISK_FORECAST_CELL_M = envint("SEJUK_RISK_FORECAST_CELL_M", 250, minimum=50)
SEJUK_RISK_FORECAST_HISTORY_DAYS = envint("SEJUK_RISK_FORECAST_HISTORY_DAYS", 365, minimum=30)
SEJUK_RISK_FORECAST_MIN_EVENTS = envint("SEJUK_RISK_FORECAST_MIN_EVENTS", 20, minimum=1)
SEJUK_TELEGRAM_BOT_TOKEN = envstr("SEJUK_TELEGRAM_BOT_TOKEN", "") or ""
if SEJUK_SENDERS not in ("record", "live"):
    raise ImproperlyConfigured("SEJUK_SENDERS must be 'record' or 'live'")
# Shown to residents on their ticket page (optional): the WhatsApp number and Telegram bot.
SEJUK_WHATSAPP_DISPLAY_NUMBER = envstr("SEJUK_WHATSAPP_DISPLAY_NUMBER", "") or ""
SEJUK_TELEGRAM_BOT_USERNAME = envstr("SEJUK_TELEGRAM_BOT_USERNAME", "") or ""

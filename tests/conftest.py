"""Shared fixtures.

The real territory files are imported once per test session (about 10 s),
then every test runs inside a transaction that is rolled back, so tests see
the real DKI Jakarta boundaries and the demo organisation without paying for
the import each time.

Personas (from the demo organisation):
* galur: Aiptu Baktiar Emri, Bhabinkamtibmas of Kelurahan Galur;
* tanahtinggi: the Bhabinkamtibmas of Tanah Tinggi, same Polsek;
* kapolsek_jb: Kapolsek Johar Baru; kapolsek_gambir: another Polsek;
* kapolres: Kapolres Metro Jakarta Pusat; admin.
"""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("SEJUK_TESTING", "1")

import pytest  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    raw = os.environ.get("SEJUK_DATA_DIR")
    path = Path(raw) if raw else REPO.parent / "shared" / "data"
    if not (path / "wilayah" / "wilayah.sql").is_file():
        pytest.exit(f"real data not found in {path}; set SEJUK_DATA_DIR", returncode=3)
    return path


@pytest.fixture(scope="session")
def data() -> Path:
    return data_dir()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from sejuk.accounts import audit
    from sejuk.core.demo import load_demo_organisation
    from sejuk.territory.importers import import_territory

    base = data_dir()
    with django_db_blocker.unblock(), audit.acting_as(audit.Actor(source="tests")):
        import_territory(base / "wilayah" / "wilayah.sql", base / "wilayah" / "boundaries")
        load_demo_organisation()


def _user(username: str):
    from sejuk.accounts.models import User

    return User.objects.get(username=username)


@pytest.fixture
def galur(db):
    return _user("galur")


@pytest.fixture
def tanahtinggi(db):
    return _user("tanahtinggi")


@pytest.fixture
def kapolsek_jb(db):
    return _user("kapolsek.joharbaru")


@pytest.fixture
def kapolsek_gambir(db):
    return _user("kapolsek.gambir")


@pytest.fixture
def kapolres(db):
    return _user("kapolres.jakpus")


@pytest.fixture
def admin_demo(db):
    return _user("admin")


@pytest.fixture
def client_for(client):
    def login(user):
        client.force_login(user)
        return client

    return login

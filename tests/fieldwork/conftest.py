from __future__ import annotations

import datetime as dt
import uuid

import pytest

from sejuk.fieldwork.models import Contact, ContactRole, TitikCategory, TitikRawan

GALUR = "31.71.08.1003"
TANAH_TINGGI = "31.71.08.1004"
WIB = dt.timezone(dt.timedelta(hours=7))


@pytest.fixture
def titik_galur(db):
    return TitikRawan.objects.create(
        name="Pos Ronda RT 05",
        category=TitikCategory.MEETING,
        kelurahan_id=GALUR,
        lat=-6.1762,
        lon=106.8554,
    )


@pytest.fixture
def titik_tanah_tinggi(db):
    return TitikRawan.objects.create(
        name="Pasar Tanah Tinggi",
        category=TitikCategory.MARKET,
        kelurahan_id=TANAH_TINGGI,
        lat=-6.1792,
        lon=106.8492,
    )


@pytest.fixture
def contact_galur(db):
    return Contact.objects.create(
        name="Ujang",
        category=ContactRole.KETUA_RT,
        role_title="Ketua RT 05 RW 02",
        kelurahan_id=GALUR,
        phone="0812000505",
    )


@pytest.fixture
def contact_tanah_tinggi(db):
    return Contact.objects.create(
        name="Pak Darto",
        category=ContactRole.KETUA_RW,
        role_title="Ketua RW 01",
        kelurahan_id=TANAH_TINGGI,
        phone="0812999",
    )


@pytest.fixture
def payload():
    def make(**over):
        body = {
            "client_uuid": str(uuid.uuid4()),
            "base_version": None,
            "client_edited_at": "2024-11-14T11:20:00+07:00",
            "kind": "patroli",
            "started_at": "2024-11-14T09:30:00+07:00",
            "ended_at": "2024-11-14T11:15:00+07:00",
            "kelurahan": GALUR,
            "location_text": "Jalan Topaz RT 05 RW 02",
            "people_met": "Ketua RT 05 Ujang",
            "people_count": 15,
            "topics": ["cooling_system", "hoaks"],
            "appeals": "Jangan terprovokasi isu negatif di media sosial",
            "notes": "Aman dan kondusif",
            "follow_up_needed": False,
        }
        body.update(over)
        return body

    return make

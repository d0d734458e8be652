"""A realistic week of field work in Kelurahan Galur (11–17 November 2024).

The centre is the cooling-system patrol of Thursday 14 November 2024 on Jalan
Topaz RT 05 RW 02: the dialogue with Ketua RT 05 Ujang, the complaints heard,
and the appeal not to be provoked by negative issues on social media. The other
Johar Baru kelurahan get lighter activity. Everything is ``is_demo`` and is
written through the same actions as real input, with fixed UUIDs, so loading
twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import transaction

from sejuk.accounts.models import User
from sejuk.fieldwork import actions
from sejuk.fieldwork.models import (
    Activity,
    ComplaintStatus,
    Contact,
    ContactRole,
    FieldComplaint,
    TitikCategory,
    TitikRawan,
    Vulnerability,
)

WIB = dt.timezone(dt.timedelta(hours=7))
NS = uuid.UUID("5e1c0a4e-2024-4b1d-9c27-000000000000")
GALUR = "31.71.08.1003"


def _uuid(name: str) -> uuid.UUID:
    return uuid.uuid5(NS, name)


def _at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2024, 11, day, hour, minute, tzinfo=WIB)


# name, category, kelurahan, lat, lon, street, rt, rw, vulnerability, reason, active period
TITIK = [
    ("Pos Ronda RT 05 RW 02", TitikCategory.MEETING, GALUR, -6.17620, 106.85540, "Jl. Topaz", "05", "02",
     Vulnerability.SEDANG, "Tempat warga berkumpul dan berdiskusi politik pada malam hari", None),
    ("Posko Pemenangan Jl. Topaz", TitikCategory.CAMPAIGN, GALUR, -6.17680, 106.85380, "Jl. Topaz", "04", "02",
     Vulnerability.TINGGI, "Posko paslon berhadapan dengan basis pendukung paslon lain",
     (dt.date(2024, 9, 25), dt.date(2024, 11, 23))),
    ("Sekretariat RW 02", TitikCategory.OFFICE, GALUR, -6.17550, 106.85450, "Jl. Galur Sari", "01", "02",
     Vulnerability.SEDANG, "Tempat rapat pengurus wilayah dan sosialisasi", None),
    ("TPS 011 Galur", TitikCategory.TPS, GALUR, -6.17700, 106.85600, "Jl. Topaz", "05", "02",
     Vulnerability.TINGGI, "TPS padat pemilih di dekat posko kampanye", (dt.date(2024, 11, 26), dt.date(2024, 11, 28))),
    ("Masjid Jami Galur", TitikCategory.WORSHIP, GALUR, -6.17500, 106.85650, "Jl. Galur Raya", "02", "03",
     Vulnerability.RENDAH, "Pengajian rutin; jamaah dari beberapa RW", None),
    ("Pangkalan ojek Pasar Galur", TitikCategory.MARKET, GALUR, -6.17750, 106.85700, "Jl. Galur Raya", "07", "01",
     Vulnerability.SEDANG, "Keramaian pagi dan sore, sumber isu dari mulut ke mulut", None),
    ("Lapangan RW 02", TitikCategory.CROWD, GALUR, -6.17580, 106.85300, "Gg. Lapangan", "06", "02",
     Vulnerability.SEDANG, "Rencana kampanye terbuka dan nonton bareng debat", None),
    ("Kantor Kelurahan Galur", TitikCategory.OFFICE, GALUR, -6.17650, 106.85750, "Jl. Galur Raya", "", "",
     Vulnerability.RENDAH, "Kantor pelayanan warga", None),
]  # fmt: skip

CONTACTS = [
    ("Ujang", ContactRole.KETUA_RT, "Ketua RT 05 RW 02", GALUR, "081200000505"),
    ("H. Rahmat Hidayat", ContactRole.KETUA_RW, "Ketua RW 02", GALUR, "081200000202"),
    (
        "Ustaz Abdul Karim",
        ContactRole.TOKOH_AGAMA,
        "Pengurus DKM Masjid Jami Galur",
        GALUR,
        "081200000301",
    ),
    ("Rian Saputra", ContactRole.TOKOH_PEMUDA, "Ketua Karang Taruna RW 02", GALUR, "081200000401"),
    (
        "Sri Wahyuni",
        ContactRole.KELURAHAN,
        "Kasi Pemerintahan Kelurahan Galur",
        GALUR,
        "081200000601",
    ),
]

APPEAL = (
    "Jangan mudah terprovokasi isu-isu negatif di media sosial. Saring sebelum sharing. "
    "Jika ada hal mencurigakan, laporkan ke Bhabinkamtibmas, Polsek Johar Baru, atau Call Center 110."
)


def _titik(user: User) -> dict[str, TitikRawan]:
    out = {}
    for name, cat, kel, lat, lon, street, rt, rw, vuln, reason, period in TITIK:
        t = TitikRawan.objects.filter(name=name, kelurahan_id=kel).first() or TitikRawan(name=name)
        t.category, t.kelurahan_id, t.lat, t.lon = cat, kel, lat, lon
        t.street, t.rt, t.rw, t.vulnerability, t.vulnerability_reason = street, rt, rw, vuln, reason
        t.active_from, t.active_until = period if period else (None, None)
        t.is_demo = True
        out[name] = actions.do_save_titik(user, t)
    return out


def _contacts(user: User) -> dict[str, Contact]:
    out = {}
    for name, cat, title, kel, phone in CONTACTS:
        c, _ = Contact.objects.update_or_create(
            name=name,
            kelurahan_id=kel,
            defaults={
                "category": cat,
                "role_title": title,
                "phone": phone,
                "is_demo": True,
                "created_by": user,
            },
        )
        out[name] = c
    return out


def _sync(user: User, key: str, **fields) -> Activity:
    payload = {
        "client_uuid": _uuid(key),
        "base_version": None,
        "client_edited_at": fields.get("ended_at") or fields["started_at"],
        "officer_ids": [],
        "location_text": "",
        "people_met": "",
        "people_count": None,
        "contact_ids": [],
        "topics": [],
        "topics_other": "",
        "appeals": "",
        "notes": "",
        "follow_up_needed": False,
        "visits": [],
        "complaints": [],
        **fields,
    }
    activity = actions.do_sync_activity(user, payload).activity
    if not activity.is_demo:
        Activity.objects.filter(pk=activity.pk).update(is_demo=True)
    return activity


def _visit(
    t: TitikRawan, at: dt.datetime, dlat: float = 0.0001, dlon: float = 0.0001, acc: float = 8.0
) -> dict:
    return {
        "titik_id": t.pk,
        "checkin_at": at,
        "lat": t.lat + dlat,
        "lon": t.lon + dlon,
        "accuracy_m": acc,
    }


@transaction.atomic
def load_demo_fieldwork() -> dict[str, int]:
    galur = User.objects.get(username="galur")
    titik = _titik(galur)
    contacts = _contacts(galur)
    t = titik
    _sync(
        galur,
        "galur-2024-11-11-sambang",
        kind="sambang",
        started_at=_at(11, 8, 30),
        ended_at=_at(11, 10, 0),
        kelurahan=GALUR,
        location_text="Sekretariat RW 02 dan rumah warga RT 01–03",
        people_met="Ketua RW 02 dan pengurus RT",
        people_count=9,
        contact_ids=[contacts["H. Rahmat Hidayat"].pk],
        topics=["cooling_system", "kamtibmas"],
        visits=[_visit(t["Sekretariat RW 02"], _at(11, 8, 40))],
        appeals="Menjaga situasi kamtibmas tetap kondusif menjelang Pilkada.",
    )
    _sync(
        galur,
        "galur-2024-11-12-patroli-malam",
        kind="patroli",
        started_at=_at(12, 20, 0),
        ended_at=_at(12, 22, 0),
        kelurahan=GALUR,
        location_text="Pos ronda dan lapangan RW 02",
        people_met="Warga yang ronda malam",
        people_count=6,
        topics=["kamtibmas", "tawuran"],
        visits=[
            _visit(t["Pos Ronda RT 05 RW 02"], _at(12, 20, 10)),
            _visit(t["Lapangan RW 02"], _at(12, 21, 0)),
        ],
    )
    _sync(
        galur,
        "galur-2024-11-13-imbauan-masjid",
        kind="imbauan",
        started_at=_at(13, 19, 30),
        ended_at=_at(13, 20, 15),
        kelurahan=GALUR,
        location_text="Masjid Jami Galur, selepas pengajian",
        people_met="Jamaah pengajian dan pengurus DKM",
        people_count=40,
        contact_ids=[contacts["Ustaz Abdul Karim"].pk],
        topics=["cooling_system", "sara", "hoaks"],
        appeals="Menjaga persatuan dan tidak membawa isu SARA ke dalam Pilkada. " + APPEAL,
        visits=[_visit(t["Masjid Jami Galur"], _at(13, 19, 35))],
    )
    topaz = _sync(
        galur, "galur-2024-11-14-cooling-system-topaz", kind="patroli",
        started_at=_at(14, 9, 30), ended_at=_at(14, 11, 15), kelurahan=GALUR,
        location_text="Jalan Topaz RT 05 RW 02",
        people_met="Ketua RT 05 Ujang dan warga RT 05 RW 02",
        people_count=15, contact_ids=[contacts["Ujang"].pk],
        topics=["cooling_system", "hoaks", "provokasi", "lapor_110"],
        appeals=APPEAL,
        notes=(
            "Patroli dialogis cooling system menjelang Pilkada 27 November 2024. Dialog dengan Ketua RT 05 "
            "Ujang di pos ronda: warga khawatir kabar bohong di grup WhatsApp soal pemungutan suara. "
            "Situasi aman dan kondusif."
        ),
        follow_up_needed=True,
        visits=[_visit(t["Pos Ronda RT 05 RW 02"], _at(14, 9, 40)),
                _visit(t["Posko Pemenangan Jl. Topaz"], _at(14, 10, 20)),
                _visit(t["TPS 011 Galur"], _at(14, 10, 50), dlat=0.0022, dlon=0.0003, acc=35.0)],
        complaints=[
            {"client_uuid": _uuid("topaz-spanduk"), "summary": "Spanduk paslon di Jl. Topaz dirusak orang tak dikenal",
             "details": "Terjadi dua malam berturut-turut; warga khawatir saling tuduh antarpendukung.",
             "raised_by": "Ketua RT 05 Ujang", "due_date": dt.date(2024, 11, 18)},
            {"client_uuid": _uuid("topaz-lampu"), "summary": "Lampu jalan gang RT 05 mati, rawan pada malam hari",
             "details": "", "raised_by": "Warga RT 05", "due_date": dt.date(2024, 11, 21)},
            {"client_uuid": _uuid("topaz-hoaks-wa"), "summary": "Pesan berantai di grup WhatsApp warga soal TPS dipindah",
             "details": "Warga meminta penjelasan resmi; dicek ke PPS Galur.", "raised_by": "Warga RT 05",
             "due_date": dt.date(2024, 11, 16)},
        ],
    )  # fmt: skip
    _sync(
        galur,
        "galur-2024-11-15-patroli-posko",
        kind="patroli",
        started_at=_at(15, 16, 0),
        ended_at=_at(15, 17, 0),
        kelurahan=GALUR,
        location_text="Posko pemenangan dan pangkalan ojek",
        people_count=8,
        people_met="Relawan posko dan pengemudi ojek",
        topics=["cooling_system", "politik_uang"],
        visits=[
            _visit(t["Posko Pemenangan Jl. Topaz"], _at(15, 16, 5)),
            _visit(t["Pangkalan ojek Pasar Galur"], _at(15, 16, 40)),
        ],
    )
    _sync(
        galur,
        "galur-2024-11-16-dialog-pemuda",
        kind="dialog",
        started_at=_at(16, 15, 0),
        ended_at=_at(16, 16, 30),
        kelurahan=GALUR,
        location_text="Lapangan RW 02",
        people_met="Karang Taruna RW 02",
        people_count=20,
        contact_ids=[contacts["Rian Saputra"].pk],
        topics=["hoaks", "tawuran", "cooling_system"],
        appeals="Pemuda menjadi pelopor Pilkada damai dan cek fakta sebelum membagikan berita.",
        visits=[_visit(t["Lapangan RW 02"], _at(16, 15, 5))],
    )
    _sync(galur, "galur-2024-11-17-penyuluhan", kind="imbauan", started_at=_at(17, 9, 0), ended_at=_at(17, 10, 0),
          kelurahan=GALUR, location_text="Kantor Kelurahan Galur", people_met="Lurah, Kasi Pemerintahan, PPS Galur",
          people_count=12, contact_ids=[contacts["Sri Wahyuni"].pk], topics=["tps", "cooling_system"],
          appeals="Koordinasi pengamanan TPS dan ajakan menggunakan hak pilih dengan damai.",
          visits=[_visit(t["Kantor Kelurahan Galur"], _at(17, 9, 5))])  # fmt: skip

    # The complaints of the Topaz patrol move on as they would have.
    spanduk = FieldComplaint.objects.get(client_uuid=_uuid("topaz-spanduk"))
    lampu = FieldComplaint.objects.get(client_uuid=_uuid("topaz-lampu"))
    hoaks = FieldComplaint.objects.get(client_uuid=_uuid("topaz-hoaks-wa"))
    if spanduk.status == ComplaintStatus.OPEN:
        actions.do_transition_complaint(galur, spanduk, ComplaintStatus.IN_PROGRESS,
                                        note="Patroli malam ditambah di Jl. Topaz; koordinasi dengan Panwascam.")  # fmt: skip
    if lampu.status == ComplaintStatus.OPEN:
        actions.do_transition_complaint(galur, lampu, ComplaintStatus.HANDED_OVER,
                                        handed_to="Kelurahan Galur (Sudin Bina Marga)", note="Diteruskan ke kelurahan.")  # fmt: skip
    if hoaks.status == ComplaintStatus.OPEN:
        actions.do_transition_complaint(galur, hoaks, ComplaintStatus.RESOLVED,
                                        resolution="PPS Galur memastikan TPS 011 tidak dipindah; disampaikan ke warga lewat Ketua RT 05.")  # fmt: skip

    lighter = _others()
    return {"titik": len(titik) + lighter, "contacts": len(contacts), "topaz_activity": topaz.pk}


OTHERS = [
    # kelurahan, username, titik name, category, lat, lon, kind, day
    (
        "31.71.08.1001",
        "Posko RW 05 Johar Baru",
        TitikCategory.CAMPAIGN,
        -6.18570,
        106.85700,
        "patroli",
        13,
    ),
    (
        "31.71.08.1002",
        "Balai Warga Kampung Rawa",
        TitikCategory.MEETING,
        -6.17950,
        106.85550,
        "sambang",
        14,
    ),
    (
        "31.71.08.1004",
        "Pasar Tanah Tinggi",
        TitikCategory.MARKET,
        -6.17920,
        106.84920,
        "patroli",
        15,
    ),
]


def _others() -> int:
    from sejuk.territory.models import Officer

    created = 0
    for kode, name, cat, lat, lon, kind, day in OTHERS:
        officer = Officer.objects.filter(kelurahan__kode=kode, position="Bhabinkamtibmas").first()
        user = User.objects.filter(officer=officer).first()
        if user is None:
            # Officers without an account: log through the Kapolsek on their behalf.
            user = User.objects.get(username="kapolsek.joharbaru")
        t = TitikRawan.objects.filter(name=name, kelurahan_id=kode).first() or TitikRawan(name=name)
        t.category, t.kelurahan_id, t.lat, t.lon = cat, kode, lat, lon
        t.vulnerability, t.is_demo = Vulnerability.SEDANG, True
        t = actions.do_save_titik(user, t)
        created += 1
        _sync(user, f"{kode}-2024-11-{day}-{kind}", kind=kind, started_at=_at(day, 10, 0), ended_at=_at(day, 11, 0),
              kelurahan=kode, officer_ids=[officer.pk], location_text=name, people_count=5,
              topics=["cooling_system"], appeals=APPEAL, visits=[_visit(t, _at(day, 10, 10))])  # fmt: skip
    return created

"""The demo organisation: Polres Metro Jakarta Pusat around Kelurahan Galur.

Real names are the public ones from the case this project exists for (press
releases of Humas Polres Metro Jakarta Pusat, November 2024). Every other
officer is invented, deterministic and marked ``is_demo``. Loading is
idempotent: it updates rows in place by code, NRP and username.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.db import transaction

from sejuk.accounts.models import Role, User
from sejuk.elections.models import Election
from sejuk.territory.actions import do_upsert_officer, do_upsert_unit
from sejuk.territory.models import Level, Officer, PoliceUnit, UnitKind, Wilayah

DEMO_PASSWORD = "sejuk-demo-2024"  # noqa: S105 - printed by `sejuk demo`, demo data only

POLDA = ("polda-metro-jaya", "Polda Metro Jaya", "31")
POLRES = ("polres-metro-jakarta-pusat", "Polres Metro Jakarta Pusat", "31.71")
# Polsek of Jakarta Pusat, one per kecamatan.
POLSEK = {
    "31.71.01": ("polsek-gambir", "Polsek Metro Gambir"),
    "31.71.02": ("polsek-sawah-besar", "Polsek Sawah Besar"),
    "31.71.03": ("polsek-kemayoran", "Polsek Kemayoran"),
    "31.71.04": ("polsek-senen", "Polsek Senen"),
    "31.71.05": ("polsek-cempaka-putih", "Polsek Cempaka Putih"),
    "31.71.06": ("polsek-menteng", "Polsek Metro Menteng"),
    "31.71.07": ("polsek-tanah-abang", "Polsek Metro Tanah Abang"),
    "31.71.08": ("polsek-johar-baru", "Polsek Johar Baru"),
}
GALUR = "31.71.08.1003"


@dataclass(frozen=True)
class DemoOfficer:
    nrp: str
    name: str
    rank: str
    position: str
    unit: str
    kelurahan: tuple[str, ...] = ()


REAL = [
    DemoOfficer("72030415", "Susatyo Purnomo Condro", "Kombes Pol", "Kapolres", POLRES[0]),
    DemoOfficer("75080612", "Saiful Anwar", "Kompol", "Kapolsek", "polsek-johar-baru"),
    DemoOfficer(
        "79110283", "Baktiar Emri", "Aiptu", "Bhabinkamtibmas", "polsek-johar-baru", (GALUR,)
    ),
]

_GIVEN = [
    "Agus",
    "Budi",
    "Dedi",
    "Eko",
    "Fajar",
    "Hendra",
    "Imam",
    "Joko",
    "Rudi",
    "Slamet",
    "Teguh",
    "Wahyu",
    "Yusuf",
    "Arif",
    "Bambang",
    "Dwi",
    "Heru",
    "Iwan",
    "Nur",
    "Rizky",
]
_FAMILY = [
    "Santoso",
    "Wibowo",
    "Saputra",
    "Hidayat",
    "Nugroho",
    "Siregar",
    "Pratama",
    "Setiawan",
    "Kurniawan",
    "Lubis",
    "Harahap",
    "Simanjuntak",
    "Gunawan",
    "Permana",
    "Ramadhan",
]
_BHABIN_RANKS = ["Aiptu", "Aipda", "Bripka", "Brigpol"]


def _invented_officers(kelurahan: list[Wilayah]) -> list[DemoOfficer]:
    rng = random.Random(20241127)  # deterministic across runs
    out: list[DemoOfficer] = []
    used = {o.name for o in REAL}

    def name() -> str:
        while True:
            n = f"{rng.choice(_GIVEN)} {rng.choice(_FAMILY)}"
            if n not in used:
                used.add(n)
                return n

    seq = 100
    for _kec, (code, _label) in sorted(POLSEK.items()):
        if code != "polsek-johar-baru":
            seq += 1
            out.append(DemoOfficer(f"7{seq:07d}", name(), "Kompol", "Kapolsek", code))
    for w in kelurahan:
        if w.kode == GALUR:
            continue
        seq += 1
        out.append(
            DemoOfficer(
                f"8{seq:07d}",
                name(),
                rng.choice(_BHABIN_RANKS),
                "Bhabinkamtibmas",
                POLSEK[w.kode.rsplit(".", 1)[0]][0],
                (w.kode,),
            )
        )
    return out


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    who: str
    unit: str
    nrp: str | None = None


LOGINS = [
    DemoLogin("admin", Role.ADMIN, "Administrator", POLDA[0]),
    DemoLogin(
        "galur",
        Role.BHABINKAMTIBMAS,
        "Aiptu Baktiar Emri (Kel. Galur)",
        "polsek-johar-baru",
        "79110283",
    ),
    DemoLogin(
        "tanahtinggi",
        Role.BHABINKAMTIBMAS,
        "Bhabinkamtibmas Kel. Tanah Tinggi",
        "polsek-johar-baru",
        "tanah-tinggi",
    ),
    DemoLogin(
        "kapolsek.joharbaru", Role.KAPOLSEK, "Kompol Saiful Anwar", "polsek-johar-baru", "75080612"
    ),
    DemoLogin(
        "staf.joharbaru", Role.POLSEK_STAFF, "Kanit Binmas Polsek Johar Baru", "polsek-johar-baru"
    ),
    DemoLogin(
        "kapolsek.gambir",
        Role.KAPOLSEK,
        "Kapolsek Metro Gambir",
        "polsek-gambir",
        "kapolsek-gambir",
    ),
    DemoLogin(
        "kapolres.jakpus", Role.KAPOLRES, "Kombes Pol Susatyo Purnomo Condro", POLRES[0], "72030415"
    ),
    DemoLogin("staf.jakpus", Role.POLRES_STAFF, "Kabag Ops Polres Metro Jakarta Pusat", POLRES[0]),
    DemoLogin("humas.jakpus", Role.HUMAS, "Humas Polres Metro Jakarta Pusat", POLRES[0]),
    DemoLogin("operator110.jakpus", Role.OPERATOR_110, "Operator Call Center 110", POLRES[0]),
    DemoLogin("analis.jakpus", Role.ANALYST, "Analis Intelkam", POLRES[0]),
]


def _unit(
    code: str, name: str, kind: str, parent: PoliceUnit | None, wilayah: list[str]
) -> PoliceUnit:
    values = {"name": name, "kind": kind, "parent": parent, "is_demo": True}
    return do_upsert_unit(code, values, wilayah)[0]


def _officer(spec: DemoOfficer, units: dict[str, PoliceUnit]) -> Officer:
    values = {
        "name": spec.name,
        "rank": spec.rank,
        "position": spec.position,
        "unit": units[spec.unit],
        "is_demo": True,
        "active": True,
    }
    return do_upsert_officer(spec.nrp, values, list(spec.kelurahan))[0]


class DemoError(RuntimeError):
    pass


@transaction.atomic
def load_demo_organisation() -> list[DemoLogin]:
    missing = [
        k for k in (POLDA[2], POLRES[2], GALUR) if not Wilayah.objects.filter(kode=k).exists()
    ]
    if missing:
        raise DemoError(
            f"territory not imported (missing {', '.join(missing)}); run `sejuk wilayah import`"
        )
    polda = _unit(POLDA[0], POLDA[1], UnitKind.POLDA, None, [POLDA[2]])
    polres = _unit(POLRES[0], POLRES[1], UnitKind.POLRES, polda, [POLRES[2]])
    units = {polda.code: polda, polres.code: polres}
    for kec, (code, name) in POLSEK.items():
        units[code] = _unit(code, name, UnitKind.POLSEK, polres, [kec])

    kelurahan = list(
        Wilayah.objects.light().within("31.71").filter(level=Level.KELURAHAN).order_by("kode")
    )
    officers = {o.nrp: _officer(o, units) for o in REAL + _invented_officers(kelurahan)}
    by_kel = {k: o for o in officers.values() for k in o.kelurahan.values_list("kode", flat=True)}

    election, _ = Election.objects.update_or_create(
        slug="pilkada-dki-2024",
        defaults={
            "name": "Pilkada Serentak 2024 — DKI Jakarta",
            "campaign_start": dt.date(2024, 9, 25),
            "campaign_end": dt.date(2024, 11, 23),
            "quiet_start": dt.date(2024, 11, 24),
            "quiet_end": dt.date(2024, 11, 26),
            "voting_day": dt.date(2024, 11, 27),
            "recap_end": dt.date(2024, 12, 16),
            "is_demo": True,
        },
    )
    election.wilayah.set(["31"])

    kapolsek_gambir = next(
        o for o in officers.values() if o.unit.code == "polsek-gambir" and o.position == "Kapolsek"
    )
    special = {
        "tanah-tinggi": by_kel["31.71.08.1004"],
        "kapolsek-gambir": kapolsek_gambir,
    }
    for login in LOGINS:
        officer = None
        if login.nrp:
            officer = special.get(login.nrp) or officers.get(login.nrp)
        user = User.objects.filter(username=login.username).first() or User(username=login.username)
        user.role = login.role
        user.unit = units[login.unit]
        user.officer = officer
        user.is_demo = True
        user.is_active = True
        user.is_staff = login.role == Role.ADMIN
        user.is_superuser = login.role == Role.ADMIN
        if officer is not None:
            parts = officer.name.split(" ", 1)
            user.first_name, user.last_name = parts[0], parts[1] if len(parts) > 1 else ""
        if not user.has_usable_password() or not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)
        user.save()
    return LOGINS

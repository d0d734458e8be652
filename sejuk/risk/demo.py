"""Demo data for the early-warning pages: Jakarta Pusat around Pilkada 2024.

Assessments for the 44 kelurahan of Jakarta Pusat over the election period,
a few dozen incidents in November and December 2024 (more in Johar Baru and
Senen, where brawls are a known problem), then the index computed for every
day from 1 November to 16 December 2024 (the end of recapitulation), which
also raises the level and forecast alerts of those days. Everything is
invented, deterministic and ``is_demo``; loading twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from sejuk.accounts.models import User
from sejuk.risk.actions import compute_index
from sejuk.risk.indicators import current_spec
from sejuk.risk.models import Assessment, Incident, IncidentKind, IncidentSource
from sejuk.territory.locate import kelurahan_index
from sejuk.territory.models import Level, Wilayah

KOTA = "31.71"
GALUR = "31.71.08.1003"
TANAH_TINGGI = "31.71.08.1004"
PERIOD = (dt.date(2024, 9, 25), dt.date(2024, 12, 16))
DAYS = (dt.date(2024, 11, 1), dt.date(2024, 12, 16))
WIB = dt.timezone(dt.timedelta(hours=7))
# Kecamatan with a history of brawls get higher "conflict" answers and more incidents.
HOT_KECAMATAN = {"31.71.08": 2, "31.71.04": 1, "31.71.03": 1}

# The story of Galur (docs/risk.md): a posko facing the other camp's supporters,
# torn banners, a chain message about TPS 011, money politics on the eve.
GALUR_ANSWERS = {
    "sp_conflict_history": 2,
    "sp_sara_tension": 1,
    "sp_local_power": 2,
    "sp_official_neutrality": 1,
    "ad_voter_list": 1,
    "ad_tps_logistics": 1,
    "ad_organiser_capacity": 1,
    "ad_past_disputes": 1,
    "ct_polarisation": 3,
    "ct_campaign_violations": 2,
    "ct_money_politics": 2,
    "ct_intimidation": 1,
    "pt_low_turnout": 1,
    "pt_hoax_exposure": 3,
    "pt_mobilisation": 2,
    "pt_weak_oversight": 1,
}
GALUR_INCIDENTS = [
    # day, hour, kind, severity, lat, lon, description
    (
        13,
        22,
        IncidentKind.VANDALISM,
        1,
        -6.17635,
        106.85395,
        "Spanduk paslon dirobek di Jl. Topaz; warga saling tuduh.",
    ),
    (
        20,
        21,
        IncidentKind.CLASH,
        2,
        -6.17660,
        106.85420,
        "Adu mulut antarpendukung di depan posko Jl. Topaz, dilerai Bhabinkamtibmas.",
    ),
    (
        24,
        20,
        IncidentKind.MONEY_POLITICS,
        2,
        -6.17560,
        106.85440,
        "Dugaan pembagian amplop dekat pos RW 02; diteruskan ke Panwascam.",
    ),
    (
        26,
        9,
        IncidentKind.PROVOCATION,
        1,
        -6.17690,
        106.85590,
        "Pesan berantai TPS 011 dipindah; diklarifikasi KPPS.",
    ),
]


def _answers(rng: random.Random, kode: str, codes: list[str], a_max: int) -> dict[str, int]:
    if kode == GALUR:
        return {c: GALUR_ANSWERS.get(c, 1) for c in codes}
    heat = HOT_KECAMATAN.get(kode[:8], 0)
    out = {}
    for c in codes:
        bias = heat if c.startswith(("sp_conflict", "ct_", "pt_mob")) else 0
        out[c] = max(
            0, min(a_max, int(rng.random() * 2.2) + bias - (1 if rng.random() < 0.3 else 0))
        )
    return out


def _point(rng: random.Random, w: Wilayah) -> tuple[float | None, float | None]:
    if w.centroid_lat is None:
        return None, None
    index = kelurahan_index()
    for _ in range(10):
        lat = w.centroid_lat + rng.uniform(-0.002, 0.002)
        lon = w.centroid_lon + rng.uniform(-0.002, 0.002)
        if index.locate(lat, lon) == w.kode:
            return round(lat, 6), round(lon, 6)
    return None, None


@transaction.atomic
def load_demo_assessments_and_incidents() -> tuple[int, int]:
    spec = current_spec()
    codes = [i.code for i in spec.indicators]
    kelurahan = list(
        Wilayah.objects.light().within(KOTA).filter(level=Level.KELURAHAN).order_by("kode")
    )
    rng = random.Random(20241127)
    officer_user = dict(
        User.objects.filter(
            role="bhabinkamtibmas",
            officer__kelurahan__kode__gte=KOTA + ".",
            officer__kelurahan__kode__lt=KOTA + "/",
        ).values_list("officer__kelurahan__kode", "pk")
    )
    analyst = User.objects.filter(username="analis.jakpus").first()
    n_assessments = 0
    for w in kelurahan:
        answers = _answers(rng, w.kode, codes, spec.max_answer)
        if Assessment.objects.filter(kelurahan=w, is_demo=True).exists():
            continue
        Assessment.objects.create(
            kelurahan=w,
            period_start=PERIOD[0],
            period_end=PERIOD[1],
            spec_version=spec.version,
            answers=answers,
            notes="Penilaian demo masa Pilkada 2024."
            if w.kode != GALUR
            else "Posko pemenangan Jl. Topaz berhadapan dengan basis pendukung paslon lain; "
            "isu hoaks TPS 011 beredar di grup WhatsApp warga.",
            created_by_id=officer_user.get(w.kode) or (analyst.pk if analyst else None),
            created_at=timezone.make_aware(dt.datetime(2024, 10, 1, 10, 0)),
            is_demo=True,
        )
        n_assessments += 1

    incidents: list[Incident] = []
    for i, (day, hour, kind, sev, lat, lon, text) in enumerate(GALUR_INCIDENTS):
        incidents.append(
            Incident(
                kelurahan_id=GALUR,
                occurred_at=dt.datetime(2024, 11, day, hour, tzinfo=WIB),
                kind=kind,
                severity=sev,
                lat=lat,
                lon=lon,
                source=IncidentSource.FIELD_LOG,
                description=text,
                ref=f"demo-galur-{i}",
                is_demo=True,
            )
        )
    kinds = [
        IncidentKind.CLASH,
        IncidentKind.VANDALISM,
        IncidentKind.INTIMIDATION,
        IncidentKind.PROTEST,
        IncidentKind.PROVOCATION,
        IncidentKind.MONEY_POLITICS,
    ]
    texts = {
        IncidentKind.CLASH: "Tawuran antarkelompok pemuda, dibubarkan patroli.",
        IncidentKind.VANDALISM: "Alat peraga kampanye dirusak.",
        IncidentKind.INTIMIDATION: "Warga mengaku ditekan untuk memilih paslon tertentu.",
        IncidentKind.PROTEST: "Unjuk rasa kecil di depan kantor PPK.",
        IncidentKind.PROVOCATION: "Selebaran provokatif ditemukan di pos ronda.",
        IncidentKind.MONEY_POLITICS: "Dugaan bagi-bagi sembako oleh tim sukses.",
    }
    weights = [3 if w.kode[:8] in HOT_KECAMATAN else 1 for w in kelurahan]
    start = dt.datetime(2024, 10, 20, tzinfo=WIB)
    for i in range(48):
        w = rng.choices(kelurahan, weights=weights)[0]
        # More incidents as voting day approaches (27 Nov, day 38 after 20 Oct).
        offset = min(57, int(rng.triangular(0, 57, 38)))
        when = start + dt.timedelta(days=offset, hours=rng.randint(8, 23))
        kind = rng.choice(kinds)
        lat, lon = _point(rng, w)
        incidents.append(
            Incident(
                kelurahan_id=w.kode,
                occurred_at=when,
                kind=kind,
                severity=rng.choices([1, 2, 3], weights=[6, 3, 1])[0],
                lat=lat,
                lon=lon,
                source=rng.choice([IncidentSource.FIELD_LOG, IncidentSource.MANUAL]),
                description=texts[kind],
                ref=f"demo-{i}",
                is_demo=True,
            )
        )
    existing = set(Incident.objects.filter(is_demo=True).values_list("ref", flat=True))
    fresh = [i for i in incidents if i.ref not in existing]
    Incident.objects.bulk_create(fresh)
    return n_assessments, len(fresh)


def load_demo_risk(progress: Callable[[str], None] | None = None) -> int:
    """Assessments, incidents, then the index of Jakarta Pusat for every demo day."""
    made, incidents = load_demo_assessments_and_incidents()
    if progress:
        progress(f"risk: {made} assessments, {incidents} incidents; computing the index")
    day, last = DAYS
    n = 0
    while day <= last:
        compute_index(day, (KOTA,), source="demo")
        day += dt.timedelta(days=1)
        n += 1
    return n

"""Demo citizen reports around Kelurahan Galur (is_demo), through the real actions."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from sejuk.accounts.models import User
from sejuk.reports import actions
from sejuk.reports.models import Report, StreetAlias

WIB = dt.timezone(dt.timedelta(hours=7))

STREETS = [
    ("Jalan Topaz", "31.71.08.1003"),
    ("Jalan Galur Sari", "31.71.08.1003"),
    ("Jalan Galur Raya", "31.71.08.1003"),
    ("Jalan Kampung Rawa Selatan", "31.71.08.1002"),
    ("Jalan Tanah Tinggi", "31.71.08.1004"),
    ("Jalan Johar Baru", "31.71.08.1001"),
]


def _report(key: str, **kw) -> Report:
    existing = Report.objects.filter(client_key=f"demo:{key}").first()
    if existing is not None:
        return existing
    r = actions.create_report(actions.ReportInput(client_key=f"demo:{key}", **kw))
    Report.objects.filter(pk=r.pk).update(is_demo=True)
    r.refresh_from_db()
    return r


@transaction.atomic
def load_demo_reports() -> int:
    for name, kode in STREETS:
        StreetAlias.objects.get_or_create(name=name, kelurahan_id=kode)
    galur = User.objects.get(username="galur")
    kapolsek = User.objects.get(username="kapolsek.joharbaru")
    nov = lambda d, h, m=0: dt.datetime(2024, 11, d, h, m, tzinfo=WIB)  # noqa: E731

    a = _report("spanduk", channel="whatsapp", category="vandalism", lat=-6.17635, lon=106.85395,
                description="Spanduk paslon di Jalan Topaz dirobek orang tak dikenal, warga mulai saling tuduh.",
                reporter_name="Warga RT 05", reporter_contact="081200001111", received_at=nov(13, 22, 10))  # fmt: skip
    if a.status == "received":
        actions.do_verify(galur, a, "Dicek ke lokasi, benar spanduk rusak")
        a = actions.do_follow_up(
            galur, Report.objects.get(pk=a.pk), galur.officer, "Patroli malam ditambah"
        )
        actions.do_resolve(galur, Report.objects.get(pk=a.pk),
                           "Spanduk diganti tim paslon; warga RT 05 diimbau tidak terprovokasi.")  # fmt: skip
    b = _report("amplop", channel="call_110", category="money_politics", address_text="Jalan Galur Sari RW 02",
                description="Ada pembagian amplop oleh orang yang mengaku tim sukses di dekat pos RW 02.",
                anonymous=True, received_at=nov(24, 19, 40))  # fmt: skip
    if b.status == "received":
        actions.do_verify(kapolsek, b, "Informasi diteruskan")
        actions.do_handoff(kapolsek, Report.objects.get(pk=b.pk), "bawaslu", "Panwascam Johar Baru")
    _report("hoaks-tps", channel="web", category="provocation", lat=-6.1769, lon=106.8561,
            description="Beredar pesan berantai bahwa TPS 011 Galur dipindah, padahal tidak ada pengumuman resmi.",
            reporter_name="Rina", reporter_contact="081355550000", received_at=nov(25, 8, 15))  # fmt: skip
    return Report.objects.filter(is_demo=True).count()

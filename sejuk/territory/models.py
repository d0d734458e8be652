"""Administrative territory (Kemendagri wilayah), police units and officers."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

KODE_RE = re.compile(r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$")


class Level(models.IntegerChoices):
    PROVINSI = 1, _("Provinsi")
    KABKOTA = 2, _("Kabupaten/Kota")
    KECAMATAN = 3, _("Kecamatan")
    KELURAHAN = 4, _("Kelurahan/Desa")


def level_of(kode: str) -> int:
    """The level of a Kemendagri code from its shape: 11, 11.01, 11.01.01, 11.01.01.2001."""
    if not KODE_RE.match(kode):
        raise ValueError(
            f"{kode!r} is not a Kemendagri code (PP, PP.KK, PP.KK.CC or PP.KK.CC.DDDD)"
        )
    return kode.count(".") + 1


def parent_kode(kode: str) -> str | None:
    return kode.rsplit(".", 1)[0] if "." in kode else None


def kode_range(prefix: str) -> tuple[str, str]:
    """Bounds (inclusive, exclusive) of the codes strictly below ``prefix``.

    Codes are digits and dots, and "/" sorts right after ".", so the
    descendants of 31.71 are the codes c with "31.71." <= c < "31.71/". A range
    uses the primary-key index on every database, unlike LIKE on SQLite.
    """
    return prefix + ".", prefix + "/"


class WilayahQuerySet(models.QuerySet):
    def within(self, prefix: str, *, include_self: bool = True) -> WilayahQuerySet:
        low, high = kode_range(prefix)
        q = models.Q(kode__gte=low, kode__lt=high)
        if include_self:
            q |= models.Q(kode=prefix)
        return self.filter(q)

    def kelurahan(self) -> WilayahQuerySet:
        return self.filter(level=Level.KELURAHAN)

    def light(self) -> WilayahQuerySet:
        return self.defer("geometry")


class Wilayah(models.Model):
    kode = models.CharField(max_length=13, primary_key=True)
    nama = models.CharField(max_length=100, db_index=True)
    level = models.PositiveSmallIntegerField(choices=Level.choices, db_index=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # GeoJSON geometry (Polygon or MultiPolygon) with [lng, lat] coordinates.
    geometry = models.JSONField(null=True, blank=True)
    centroid_lat = models.FloatField(null=True, blank=True)
    centroid_lon = models.FloatField(null=True, blank=True)
    min_lat = models.FloatField(null=True, blank=True)
    min_lon = models.FloatField(null=True, blank=True)
    max_lat = models.FloatField(null=True, blank=True)
    max_lon = models.FloatField(null=True, blank=True)
    area_km2 = models.FloatField(null=True, blank=True)
    neighbours = models.ManyToManyField("self", symmetrical=True, blank=True)

    objects = WilayahQuerySet.as_manager()

    class Meta:
        verbose_name = _("wilayah")
        verbose_name_plural = _("wilayah")
        ordering = ["kode"]
        indexes = [models.Index(fields=["level", "nama"])]

    def __str__(self) -> str:
        return f"{self.kind_label} {self.nama} ({self.kode})"

    @property
    def kind_label(self) -> str:
        if self.level == Level.KELURAHAN:
            # Kemendagri: 1xxx is a kelurahan (urban), 2xxx a desa (village).
            return "Kelurahan" if self.kode.rsplit(".", 1)[1].startswith("1") else "Desa"
        if self.level == Level.KABKOTA:
            return "" if self.nama.startswith(("Kota", "Kabupaten", "Kab.")) else "Kab/Kota"
        if self.level == Level.KECAMATAN:
            return "Kecamatan"
        return "Provinsi"

    @property
    def display(self) -> str:
        return f"{self.kind_label} {self.nama}".strip()

    def ancestors(self) -> list[Wilayah]:
        """Parents from the nearest up to the provinsi, in one query."""
        codes = []
        kode = parent_kode(self.kode)
        while kode:
            codes.append(kode)
            kode = parent_kode(kode)
        found = {w.kode: w for w in Wilayah.objects.light().filter(kode__in=codes)}
        return [found[c] for c in codes if c in found]

    def has_geometry(self) -> bool:
        return self.geometry is not None

    def feature(self, **properties) -> dict:
        return {
            "type": "Feature",
            "geometry": self.geometry,
            "properties": {"kode": self.kode, "nama": self.nama, "level": self.level, **properties},
        }


class ImportRun(models.Model):
    """A record of each importer run, to report what changed and skip no-op runs."""

    kind = models.CharField(max_length=50)
    source = models.CharField(max_length=500)
    source_sha256 = models.CharField(max_length=64)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-finished_at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.finished_at:%Y-%m-%d %H:%M}"


class UnitKind(models.TextChoices):
    POLDA = "polda", _("Polda")
    POLRES = "polres", _("Polres")
    POLSEK = "polsek", _("Polsek")


_PARENT_KIND = {UnitKind.POLRES: UnitKind.POLDA, UnitKind.POLSEK: UnitKind.POLRES}


class PoliceUnitQuerySet(models.QuerySet):
    def descendants_of(self, unit: PoliceUnit, *, include_self: bool = True) -> PoliceUnitQuerySet:
        q = models.Q(path__startswith=unit.path + "/")
        if include_self:
            q |= models.Q(pk=unit.pk)
        return self.filter(q)


class PoliceUnit(models.Model):
    """A Polda, Polres or Polsek and the wilayah it covers."""

    code = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=10, choices=UnitKind.choices, db_index=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # Materialised path of codes ("polda-metro-jaya/polres-jakpus/polsek-johar-baru")
    # so a whole subtree is one indexed prefix query.
    path = models.CharField(max_length=400, db_index=True, editable=False)
    wilayah = models.ManyToManyField(
        Wilayah, blank=True, related_name="police_units", help_text=_("Areas this unit covers.")
    )
    address = models.CharField(max_length=300, blank=True)
    phone = models.CharField(max_length=30, blank=True)
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    is_demo = models.BooleanField(default=False)

    objects = PoliceUnitQuerySet.as_manager()

    class Meta:
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.path = f"{self.parent.path}/{self.code}" if self.parent_id else self.code
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = set(kwargs["update_fields"]) | {"path"}
        super().save(*args, **kwargs)

    def clean(self) -> None:
        expected = _PARENT_KIND.get(self.kind)
        if expected is None and self.parent_id:
            raise ValidationError({"parent": _("A Polda has no parent unit.")})
        if expected is not None:
            if self.parent is None:
                raise ValidationError(
                    {
                        "parent": _("A %(kind)s needs its parent unit.")
                        % {"kind": self.get_kind_display()}
                    }
                )
            if self.parent.kind != expected:
                raise ValidationError(
                    {
                        "parent": _("The parent of a %(kind)s must be a %(parent)s.")
                        % {"kind": self.get_kind_display(), "parent": UnitKind(expected).label}
                    }
                )

    def territory_codes(self) -> list[str]:
        """Kode of the wilayah this unit covers (each covers everything below it)."""
        return sorted(self.wilayah.values_list("kode", flat=True))

    def kelurahan(self) -> WilayahQuerySet:
        q = models.Q(pk__in=[])
        for kode in self.territory_codes():
            low, high = kode_range(kode)
            q |= models.Q(kode=kode) | models.Q(kode__gte=low, kode__lt=high)
        return Wilayah.objects.kelurahan().filter(q)


RANKS = [
    "Bharada", "Bharatu", "Bharaka", "Abripda", "Abriptu", "Abrippol",
    "Bripda", "Briptu", "Brigpol", "Bripka", "Aipda", "Aiptu",
    "Ipda", "Iptu", "AKP", "Kompol", "AKBP", "Kombes Pol",
    "Brigjen Pol", "Irjen Pol", "Komjen Pol", "Jenderal Polisi",
]  # fmt: skip


class Officer(models.Model):
    """A police officer. A Bhabinkamtibmas is assigned one or more kelurahan."""

    nrp = models.CharField(
        "NRP",
        max_length=20,
        unique=True,
        validators=[RegexValidator(r"^\d{8,18}$", _("An NRP is 8 to 18 digits."))],
    )
    name = models.CharField(max_length=120)
    rank = models.CharField(max_length=20, choices=[(r, r) for r in RANKS])
    position = models.CharField(
        max_length=120, blank=True, help_text=_("e.g. Bhabinkamtibmas, Kapolsek")
    )
    unit = models.ForeignKey(PoliceUnit, on_delete=models.PROTECT, related_name="officers")
    kelurahan = models.ManyToManyField(
        Wilayah,
        blank=True,
        related_name="officers",
        limit_choices_to={"level": Level.KELURAHAN},
        help_text=_("Kelurahan/desa this officer is assigned to (Bhabinkamtibmas)."),
    )
    phone = models.CharField(max_length=30, blank=True)
    active = models.BooleanField(default=True)
    is_demo = models.BooleanField(default=False)

    class Meta:
        ordering = ["unit__path", "name"]

    def __str__(self) -> str:
        return f"{self.rank} {self.name}"

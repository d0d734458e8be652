"""Writes that touch several rows: units and officers with their areas."""

from __future__ import annotations

from typing import Literal

from django.db import models, transaction

from sejuk.territory.models import Officer, PoliceUnit

Outcome = Literal["created", "updated", "unchanged"]


def _upsert(
    model: type[models.Model],
    key: dict,
    values: dict,
    m2m_field: str,
    m2m_codes: list[str],
) -> tuple[models.Model, Outcome]:
    """Create or update one row and its many-to-many areas, writing only what
    changed (so audit entries mean something and re-runs are no-ops)."""
    obj = model.objects.filter(**key).first()
    wanted = sorted(m2m_codes)
    if obj is None:
        obj = model(**key, **values)
        obj.full_clean()
        obj.save()
        getattr(obj, m2m_field).set(wanted)
        return obj, "created"
    changed = [k for k, v in values.items() if getattr(obj, k) != v]
    for k in changed:
        setattr(obj, k, values[k])
    if changed:
        obj.full_clean()
        obj.save()
    if sorted(getattr(obj, m2m_field).values_list("pk", flat=True)) != wanted:
        getattr(obj, m2m_field).set(wanted)
        changed.append(m2m_field)
    return obj, "updated" if changed else "unchanged"


@transaction.atomic
def do_upsert_unit(code: str, values: dict, wilayah: list[str]) -> tuple[PoliceUnit, Outcome]:
    return _upsert(PoliceUnit, {"code": code}, values, "wilayah", wilayah)


@transaction.atomic
def do_upsert_officer(nrp: str, values: dict, kelurahan: list[str]) -> tuple[Officer, Outcome]:
    return _upsert(Officer, {"nrp": nrp}, values, "kelurahan", kelurahan)

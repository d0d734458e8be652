"""Audit trail: who did what to which object, and who looked at personal data.

Models opt in with ``register(Model)``; their create/update/delete through the
ORM is then logged with the changed fields. The actor comes from a context
variable that the web middleware, the API and CLI commands set. Bulk writes
(``bulk_create``/``update()``), used by importers for speed, bypass signals:
those callers log one summary entry with ``log(AuditAction.IMPORT, ...)``.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import decimal
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

from sejuk.accounts.models import AuditAction, AuditEntry


@dataclass(frozen=True)
class Actor:
    user_id: int | None = None
    username: str = ""
    role: str = ""
    ip: str | None = None
    source: str = ""


_actor: contextvars.ContextVar[Actor] = contextvars.ContextVar("sejuk_audit_actor", default=Actor())  # noqa: B039 - frozen
_REGISTRY: dict[type[models.Model], frozenset[str]] = {}
# Fields whose values are never copied into the log (only "changed" is noted).
_SECRET_FIELDS = frozenset({"password", "key_hash"})


# Changes the system makes on its own (the worker's batch jobs).
SYSTEM = Actor(username="sistem", source="worker")


def actor_for_user(user, *, ip: str | None = None, source: str = "web") -> Actor:
    if user is None or not getattr(user, "is_authenticated", False):
        return Actor(ip=ip, source=source)
    return Actor(
        user_id=user.pk,
        username=user.get_username(),
        role=getattr(user, "role", ""),
        ip=ip,
        source=source,
    )


def current_actor() -> Actor:
    return _actor.get()


@contextlib.contextmanager
def acting_as(actor: Actor) -> Iterator[Actor]:
    token = _actor.set(actor)
    try:
        yield actor
    finally:
        _actor.reset(token)


def set_actor(actor: Actor) -> contextvars.Token:
    return _actor.set(actor)


def reset_actor(token: contextvars.Token) -> None:
    _actor.reset(token)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, dict | list | str | int | float | bool) or value is None:
        return value
    return str(value)


def _label(instance: models.Model) -> str:
    return instance._meta.label_lower


def entry(
    action: str,
    *,
    object_type: str = "",
    object_id: Any = "",
    object_repr: str = "",
    changes: dict | None = None,
    actor: Actor | None = None,
) -> AuditEntry:
    """An unsaved entry, for writers that insert many at once (bulk_create)."""
    who = actor or _actor.get()
    return AuditEntry(
        actor_id=who.user_id,
        actor_username=who.username,
        actor_role=who.role,
        ip=who.ip,
        source=who.source,
        action=action,
        object_type=object_type,
        object_id=str(object_id)[:64],
        object_repr=object_repr[:300],
        changes=changes or {},
    )


def log(action: str, **fields: Any) -> AuditEntry:
    """Write one entry now; ``fields`` as for ``entry``."""
    e = entry(action, **fields)
    e.save(force_insert=True)
    return e


def log_view(user, instance: models.Model, fields: list[str], *, source: str = "web") -> AuditEntry:
    """Record that ``user`` was shown the protected ``fields`` of ``instance``."""
    current = _actor.get()
    actor = actor_for_user(user, ip=current.ip, source=current.source or source)
    return log(
        AuditAction.VIEW,
        object_type=_label(instance),
        object_id=instance.pk,
        object_repr=str(instance),
        changes={"fields": sorted(fields)},
        actor=actor,
    )


def log_views(user, instances, fields: list[str], *, source: str = "web") -> int:
    """Record, in one INSERT, that ``user`` was shown ``fields`` of each instance."""
    current = _actor.get()
    who = actor_for_user(user, ip=current.ip, source=current.source or source)
    rows = [
        AuditEntry(
            actor_id=who.user_id,
            actor_username=who.username,
            actor_role=who.role,
            ip=who.ip,
            source=who.source,
            action=AuditAction.VIEW,
            object_type=_label(obj),
            object_id=str(obj.pk),
            object_repr=str(obj)[:300],
            changes={"fields": sorted(fields)},
        )
        for obj in instances
    ]
    AuditEntry.objects.bulk_create(rows, batch_size=500)
    return len(rows)


def _field_values(instance: models.Model, exclude: frozenset[str]) -> dict[str, Any]:
    values = {}
    for field in instance._meta.concrete_fields:
        if field.name in exclude:
            continue
        values[field.name] = field.value_from_object(instance)
    return values


def _on_pre_save(sender, instance, raw=False, update_fields=None, **kwargs):
    if raw or instance._state.adding or instance.pk is None:
        instance._audit_before = None
        return
    exclude = _REGISTRY[sender]
    try:
        old = sender._base_manager.get(pk=instance.pk)
    except sender.DoesNotExist:
        instance._audit_before = None
        return
    instance._audit_before = _field_values(old, exclude)


def _diff(before: dict | None, after: dict) -> dict[str, list]:
    changes = {}
    for name, new in after.items():
        old = None if before is None else before.get(name)
        if before is not None and old == new:
            continue
        if before is None and new in (None, "", [], {}):
            continue
        if name in _SECRET_FIELDS:
            changes[name] = ["***", "***"]
        else:
            changes[name] = [_jsonable(old), _jsonable(new)]
    return changes


def defer_create(instance: models.Model) -> None:
    """Skip the automatic "create" entry when ``instance`` is inserted.

    For hot insert paths (citizen report intake) whose caller writes the entry
    later, in a batch, with ``created_entry``: the row carries what that needs
    (see ``Report.intake_meta``), so the entry cannot be lost, only delayed."""
    instance._audit_deferred = True


def created_entry(
    instance: models.Model, *, actor: Actor, at: dt.datetime | None = None
) -> AuditEntry:
    """The unsaved "create" entry of a registered ``instance`` (see ``defer_create``)."""
    e = entry(
        AuditAction.CREATE,
        object_type=_label(instance),
        object_id=instance.pk,
        object_repr=str(instance),
        changes=_diff(None, _field_values(instance, _REGISTRY[type(instance)])),
        actor=actor,
    )
    if at is not None:
        e.at = at
    return e


def actor_from_dict(data: dict | None) -> Actor:
    """An ``Actor`` stored as ``dataclasses.asdict``; unknown keys are ignored."""
    data = data or {}
    return Actor(
        user_id=data.get("user_id") if isinstance(data.get("user_id"), int) else None,
        username=str(data.get("username") or ""),
        role=str(data.get("role") or ""),
        ip=str(data["ip"]) if data.get("ip") else None,
        source=str(data.get("source") or ""),
    )


def _on_post_save(sender, instance, created, raw=False, **kwargs):
    if raw or (created and getattr(instance, "_audit_deferred", False)):
        return
    exclude = _REGISTRY[sender]
    after = _field_values(instance, exclude)
    before = None if created else getattr(instance, "_audit_before", None)
    changes = _diff(before, after)
    if not created and not changes:
        return
    log(
        AuditAction.CREATE if created else AuditAction.UPDATE,
        object_type=_label(instance),
        object_id=instance.pk,
        object_repr=str(instance),
        changes=changes,
    )


def _on_post_delete(sender, instance, **kwargs):
    log(
        AuditAction.DELETE,
        object_type=_label(instance),
        object_id=instance.pk,
        object_repr=str(instance),
    )


def register(model: type[models.Model], *, exclude: tuple[str, ...] = ()) -> type[models.Model]:
    """Audit every ORM create, update and delete of ``model``."""
    if model in _REGISTRY:
        return model
    _REGISTRY[model] = frozenset(exclude)
    uid = f"sejuk-audit-{model._meta.label_lower}"
    pre_save.connect(_on_pre_save, sender=model, dispatch_uid=uid + "-pre")
    post_save.connect(_on_post_save, sender=model, dispatch_uid=uid + "-post")
    post_delete.connect(_on_post_delete, sender=model, dispatch_uid=uid + "-del")
    for field in model._meta.many_to_many:
        if field.name in exclude:
            continue
        m2m_changed.connect(
            _make_m2m_handler(field.name),
            sender=field.remote_field.through,
            dispatch_uid=f"{uid}-m2m-{field.name}",
            weak=False,
        )
    return model


def _make_m2m_handler(field_name: str):
    def handler(sender, instance, action, reverse, model, pk_set, **kwargs):
        if action not in ("post_add", "post_remove", "post_clear") or reverse:
            return
        verb = {"post_add": "added", "post_remove": "removed", "post_clear": "cleared"}[action]
        log(
            AuditAction.UPDATE,
            object_type=_label(instance),
            object_id=instance.pk,
            object_repr=str(instance),
            changes={field_name: {verb: sorted(str(pk) for pk in (pk_set or []))}},
        )

    return handler


def is_registered(model: type[models.Model]) -> bool:
    return model in _REGISTRY

"""Users, roles, API tokens, rate-limit counters and the append-only audit log."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    BHABINKAMTIBMAS = "bhabinkamtibmas", _("Bhabinkamtibmas")
    KAPOLSEK = "kapolsek", _("Kapolsek")
    POLSEK_STAFF = "polsek_staff", _("Polsek staff")
    KAPOLRES = "kapolres", _("Kapolres")
    POLRES_STAFF = "polres_staff", _("Polres staff")
    HUMAS = "humas", _("Humas")
    OPERATOR_110 = "operator_110", _("Call Center 110 operator")
    ANALYST = "analyst", _("Analyst")
    ADMIN = "admin", _("Administrator")


# Roles whose home is a Polsek, and roles whose home is a Polres (or Polda).
POLSEK_ROLES = frozenset({Role.KAPOLSEK, Role.POLSEK_STAFF})
COMMAND_ROLES = frozenset({Role.KAPOLSEK, Role.KAPOLRES})


class User(AbstractUser):
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.ANALYST)
    unit = models.ForeignKey(
        "territory.PoliceUnit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
        help_text=_("The unit whose territory this account may see."),
    )
    officer = models.OneToOneField(
        "territory.Officer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="user",
    )
    is_demo = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["role"])]

    def clean(self) -> None:
        super().clean()
        if self.role == Role.BHABINKAMTIBMAS and self.officer_id is None:
            raise ValidationError({"officer": _("A Bhabinkamtibmas account needs its officer.")})
        if self.role != Role.ADMIN and self.unit_id is None and not self.is_superuser:
            raise ValidationError({"unit": _("Every account except admin belongs to a unit.")})

    @property
    def is_admin_role(self) -> bool:
        return self.is_superuser or self.role == Role.ADMIN

    def display_name(self) -> str:
        if self.officer_id:
            return str(self.officer)
        return self.get_full_name() or self.username


def _hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def active(self) -> ApiTokenQuerySet:
        now = timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class ApiToken(models.Model):
    """A bearer token for integrations. Only a SHA-256 of the secret is stored."""

    PREFIX = "sjk_"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    key_id = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.name} ({self.PREFIX}{self.key_id}_…)"

    @classmethod
    def issue(cls, user: User, name: str, expires_at=None) -> tuple[ApiToken, str]:
        """Create a token and return it with the plaintext, which is shown once."""
        key_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user, name=name, key_id=key_id, key_hash=_hash_token(secret), expires_at=expires_at
        )
        return token, f"{cls.PREFIX}{key_id}_{secret}"

    @classmethod
    def authenticate(cls, plaintext: str) -> User | None:
        if not plaintext.startswith(cls.PREFIX):
            return None
        key_id, _sep, secret = plaintext[len(cls.PREFIX) :].partition("_")
        if not key_id or not secret:
            return None
        token = cls.objects.active().select_related("user").filter(key_id=key_id).first()
        if token is None or not secrets.compare_digest(token.key_hash, _hash_token(secret)):
            return None
        if not token.user.is_active:
            return None
        cls.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        return token.user

    def revoke(self) -> None:
        self.revoked_at = timezone.now()
        self.save(update_fields=["revoked_at"])


class RateLimitBucket(models.Model):
    """A hit counter for one key in one fixed time window (see accounts.ratelimit)."""

    key = models.CharField(max_length=200)
    window_start = models.DateTimeField()
    hits = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "window_start"], name="ratelimit_key_window")
        ]
        indexes = [models.Index(fields=["window_start"])]

    def __str__(self) -> str:
        return f"{self.key} @ {self.window_start:%Y-%m-%d %H:%M}: {self.hits}"


class AuditAction(models.TextChoices):
    CREATE = "create", _("create")
    UPDATE = "update", _("update")
    DELETE = "delete", _("delete")
    VIEW = "view", _("view personal data")
    IMPORT = "import", _("import")
    EXPORT = "export", _("export")
    LOGIN = "login", _("login")
    LOGIN_FAILED = "login_failed", _("failed login")
    LOGOUT = "logout", _("logout")


class AppendOnlyError(Exception):
    pass


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):  # noqa: ARG002
        raise AppendOnlyError("The audit log is append-only")

    def delete(self):
        raise AppendOnlyError("The audit log is append-only")


class AuditEntry(models.Model):
    """One line of the append-only audit log.

    The actor is kept as plain values (no foreign key) so that deleting or
    renaming a user can never rewrite history. The database refuses UPDATE and
    DELETE on this table through triggers (see migration 0002), so even raw
    SQL or a compromised admin cannot edit entries.
    """

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    actor_username = models.CharField(max_length=150, blank=True)
    actor_role = models.CharField(max_length=20, blank=True)
    # Indexed: at, actor_id and (object_type, object_id, at), the ways the log is
    # read; every further index would cost each of the many inserts.
    action = models.CharField(max_length=20, choices=AuditAction.choices)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=300, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    source = models.CharField(max_length=100, blank=True, help_text=_("web, api, cli:…"))

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["object_type", "object_id", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_username or '-'} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("The audit log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("The audit log is append-only")

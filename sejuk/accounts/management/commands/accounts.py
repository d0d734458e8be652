"""sejuk accounts create-user|token-create|token-list|token-revoke"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import sys
from pathlib import Path

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone, translation

from sejuk.accounts import audit
from sejuk.accounts.models import ApiToken, Role, User
from sejuk.territory.models import Officer, PoliceUnit


class Command(BaseCommand):
    help = "Accounts: create users and issue, list or revoke API tokens."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        cu = sub.add_parser("create-user", help="Create a user with a role and unit.")
        cu.add_argument("--username", required=True)
        cu.add_argument("--role", required=True, choices=Role.values)
        cu.add_argument(
            "--unit", help="unit code, e.g. polsek-johar-baru (required except for admin)"
        )
        cu.add_argument("--officer-nrp", help="link to an officer (required for bhabinkamtibmas)")
        cu.add_argument(
            "--password-file", type=Path, help="read the password from a file (else prompt)"
        )
        tc = sub.add_parser("token-create", help="Issue an API token; the secret is printed once.")
        tc.add_argument("--username", required=True)
        tc.add_argument("--name", required=True, help="what the token is for")
        tc.add_argument("--days", type=int, default=365, help="expiry in days (0 = never)")
        tl = sub.add_parser("token-list", help="List tokens as JSON lines.")
        tl.add_argument("--username")
        tr = sub.add_parser("token-revoke", help="Revoke a token by its key id.")
        tr.add_argument("key_id")

    def handle(self, *args, **opts):
        # CLI messages are in English, like the docs, whatever the UI default.
        with (
            translation.override("en"),
            audit.acting_as(audit.Actor(source=f"cli:accounts {opts['verb']}")),
        ):
            return getattr(self, "_" + opts["verb"].replace("-", "_"))(opts)

    def _user(self, username: str) -> User:
        try:
            return User.objects.get(username=username)
        except User.DoesNotExist:
            raise CommandError(f"no user {username!r}") from None

    def _create_user(self, opts):
        if User.objects.filter(username=opts["username"]).exists():
            raise CommandError(f"user {opts['username']!r} already exists")
        unit = officer = None
        if opts.get("unit"):
            unit = PoliceUnit.objects.filter(code=opts["unit"]).first()
            if unit is None:
                raise CommandError(f"no unit {opts['unit']!r}")
        if opts.get("officer_nrp"):
            officer = Officer.objects.filter(nrp=opts["officer_nrp"]).first()
            if officer is None:
                raise CommandError(f"no officer with NRP {opts['officer_nrp']}")
            unit = unit or officer.unit
        if opts.get("password_file"):
            password = opts["password_file"].read_text(encoding="utf-8").strip()
        elif sys.stdin.isatty():
            password = getpass.getpass("Password: ")
        else:
            raise CommandError("give --password-file when not running in a terminal")
        user = User(username=opts["username"], role=opts["role"], unit=unit, officer=officer)
        user.is_staff = user.is_superuser = opts["role"] == Role.ADMIN
        try:
            validate_password(password, user)
            user.full_clean(exclude=["password"])
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        with transaction.atomic():
            user.set_password(password)
            user.save()
        self.stdout.write(f"created {user.username} ({user.role})")

    def _token_create(self, opts):
        user = self._user(opts["username"])
        if opts["days"] < 0:
            raise CommandError("--days must be 0 (never) or more")
        expires = timezone.now() + dt.timedelta(days=opts["days"]) if opts["days"] else None
        token, secret = ApiToken.issue(user, opts["name"], expires_at=expires)
        self.stdout.write(secret)
        self.stderr.write(
            f"token {token.key_id} for {user.username}; store it now, it is not shown again"
        )

    def _token_list(self, opts):
        qs = ApiToken.objects.select_related("user")
        if opts.get("username"):
            qs = qs.filter(user__username=opts["username"])
        for t in qs:
            self.stdout.write(json.dumps({
                "key_id": t.key_id, "user": t.user.username, "name": t.name,
                "created_at": t.created_at.isoformat(),
                "expires_at": t.expires_at.isoformat() if t.expires_at else None,
                "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
                "revoked": t.revoked_at is not None,
            }))  # fmt: skip

    def _token_revoke(self, opts):
        token = ApiToken.objects.filter(key_id=opts["key_id"]).first()
        if token is None:
            raise CommandError(f"no token {opts['key_id']!r}")
        token.revoke()
        self.stdout.write(f"revoked {token.key_id}")

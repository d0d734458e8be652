from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from sejuk.accounts.models import ApiToken, User


def test_token_create_prints_a_working_secret_once_and_revoke_stops_it(client, kapolres):
    out, err = StringIO(), StringIO()
    call_command(
        "accounts",
        "token-create",
        "--username",
        "kapolres.jakpus",
        "--name",
        "dashboard",
        stdout=out,
        stderr=err,
    )
    secret = out.getvalue().strip()
    assert secret.startswith("sjk_")
    token = ApiToken.objects.get(user=kapolres, name="dashboard")
    assert secret not in token.key_hash
    assert (
        client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {secret}").json()["role"] == "kapolres"
    )
    call_command("accounts", "token-revoke", token.key_id, stdout=StringIO())
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401


def test_create_user_validates_role_unit_and_password(db, tmp_path):
    pw = tmp_path / "pw"
    pw.write_text("a-sound-passphrase-2024")
    call_command(
        "accounts",
        "create-user",
        "--username",
        "humas2",
        "--role",
        "humas",
        "--unit",
        "polres-metro-jakarta-pusat",
        "--password-file",
        str(pw),
        stdout=StringIO(),
    )
    user = User.objects.get(username="humas2")
    assert (
        user.check_password("a-sound-passphrase-2024")
        and user.unit.code == "polres-metro-jakarta-pusat"
    )
    weak = tmp_path / "weak"
    weak.write_text("12345")
    with pytest.raises(CommandError, match="too short"):
        call_command(
            "accounts",
            "create-user",
            "--username",
            "x",
            "--role",
            "humas",
            "--unit",
            "polres-metro-jakarta-pusat",
            "--password-file",
            str(weak),
        )
    with pytest.raises(CommandError, match="needs its officer"):
        call_command(
            "accounts",
            "create-user",
            "--username",
            "y",
            "--role",
            "bhabinkamtibmas",
            "--unit",
            "polsek-johar-baru",
            "--password-file",
            str(pw),
        )
    with pytest.raises(CommandError, match="no unit"):
        call_command(
            "accounts",
            "create-user",
            "--username",
            "z",
            "--role",
            "humas",
            "--unit",
            "polres-atlantis",
            "--password-file",
            str(pw),
        )

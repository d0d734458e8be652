from __future__ import annotations

from ninja import Router, Schema

from sejuk.accounts.access import scope_for

router = Router(tags=["accounts"])


class MeOut(Schema):
    username: str
    role: str
    unit: str | None
    officer_id: int | None
    scope: list[str]
    everything: bool


@router.get("/me", response=MeOut, summary="Who you are and the territory you may see")
def me(request):
    user = request.auth
    scope = scope_for(user)
    return {
        "username": user.username,
        "role": user.role,
        "unit": user.unit.code if user.unit_id else None,
        "officer_id": user.officer_id,
        "scope": list(scope.prefixes),
        "everything": scope.everything,
    }

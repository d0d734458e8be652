"""Who may see what. Every page, API call and query goes through these helpers.

A user's *scope* is the territory their role and unit give them:

* admin: everything;
* bhabinkamtibmas: the kelurahan assigned to their officer record;
* every other role: the wilayah covered by their unit and the units below it
  (a Polsek covers a kecamatan, a Polres a kota, a Polda a provinsi).

A user with no unit (other than admin) sees nothing: access is denied by
default. Objects outside the scope answer 404, not 403, so that their
existence does not leak.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import wraps

from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import redirect

from sejuk.accounts.models import Role, User
from sejuk.territory.models import Officer, PoliceUnit, Wilayah, kode_range


@dataclass(frozen=True)
class Scope:
    everything: bool
    # Kode prefixes: each covers itself and every wilayah below it.
    prefixes: tuple[str, ...]
    unit_ids: frozenset[int]
    officer_id: int | None = None

    @property
    def empty(self) -> bool:
        return not self.everything and not self.prefixes and not self.unit_ids

    def covers(self, kode: str | None) -> bool:
        if self.everything:
            return True
        if not kode:
            return False
        return any(kode == p or kode.startswith(p + ".") for p in self.prefixes)

    def q(self, field: str = "kode") -> Q:
        """A filter on a kode column (or a foreign key to Wilayah) for this scope."""
        if self.everything:
            return Q()
        q = Q(pk__in=[])
        for p in self.prefixes:
            low, high = kode_range(p)
            q |= Q(**{field: p}) | Q(**{f"{field}__gte": low, f"{field}__lt": high})
        return q

    def ancestor_codes(self) -> set[str]:
        """Codes above the scope (shown for context, e.g. breadcrumbs)."""
        out = set()
        for p in self.prefixes:
            while "." in p:
                p = p.rsplit(".", 1)[0]
                out.add(p)
        return out


_EMPTY = Scope(everything=False, prefixes=(), unit_ids=frozenset())


def _minimal_prefixes(codes: Iterable[str]) -> tuple[str, ...]:
    """Drop codes already covered by a shorter prefix in the set."""
    result: list[str] = []
    for code in sorted(set(codes), key=lambda c: (c.count("."), c)):
        if not any(code == p or code.startswith(p + ".") for p in result):
            result.append(code)
    return tuple(sorted(result))


def scope_for(user: User) -> Scope:
    """The territory ``user`` may see; cached on the user object for the request."""
    cached = getattr(user, "_sejuk_scope", None)
    if cached is not None:
        return cached
    scope = _compute_scope(user)
    user._sejuk_scope = scope
    return scope


def _compute_scope(user: User) -> Scope:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return _EMPTY
    if user.is_superuser or user.role == Role.ADMIN:
        return Scope(everything=True, prefixes=(), unit_ids=frozenset())
    if user.role == Role.BHABINKAMTIBMAS:
        if user.officer_id is None:
            return _EMPTY
        codes = user.officer.kelurahan.values_list("kode", flat=True)
        return Scope(
            everything=False,
            prefixes=_minimal_prefixes(codes),
            unit_ids=frozenset({user.officer.unit_id}),
            officer_id=user.officer_id,
        )
    if user.unit_id is None:
        return _EMPTY
    units = PoliceUnit.objects.descendants_of(user.unit)
    unit_ids = frozenset(units.values_list("pk", flat=True))
    codes = PoliceUnit.wilayah.through.objects.filter(policeunit_id__in=unit_ids).values_list(
        "wilayah_id", flat=True
    )
    return Scope(
        everything=False,
        prefixes=_minimal_prefixes(codes),
        unit_ids=unit_ids,
        officer_id=user.officer_id,
    )


# --- querysets ---------------------------------------------------------------


def visible_wilayah(user: User) -> QuerySet[Wilayah]:
    scope = scope_for(user)
    if scope.empty:
        return Wilayah.objects.none()
    return Wilayah.objects.filter(scope.q("kode"))


def visible_units(user: User) -> QuerySet[PoliceUnit]:
    scope = scope_for(user)
    if scope.everything:
        return PoliceUnit.objects.all()
    return PoliceUnit.objects.filter(pk__in=scope.unit_ids)


def visible_officers(user: User) -> QuerySet[Officer]:
    """Officers a user may see.

    A Bhabinkamtibmas sees the officers of their own kelurahan (themselves and
    any partner); commanders and staff see the officers of their unit subtree
    and any officer assigned inside their territory.
    """
    scope = scope_for(user)
    if scope.everything:
        return Officer.objects.all()
    if scope.empty:
        return Officer.objects.none()
    in_territory = Officer.objects.filter(scope.q("kelurahan__kode")).values("pk")
    q = Q(pk__in=in_territory)
    if scope.officer_id:
        q |= Q(pk=scope.officer_id)
    if user.role != Role.BHABINKAMTIBMAS:
        q |= Q(unit_id__in=scope.unit_ids)
    return Officer.objects.filter(q)


def get_wilayah_for_user(user: User, kode: str) -> Wilayah:
    try:
        return visible_wilayah(user).get(kode=kode)
    except Wilayah.DoesNotExist:
        raise Http404("No such wilayah in your territory") from None


def get_officer_for_user(user: User, pk: int) -> Officer:
    try:
        return visible_officers(user).select_related("unit").get(pk=pk)
    except (Officer.DoesNotExist, ValueError, TypeError):
        raise Http404("No such officer in your territory") from None


def get_unit_for_user(user: User, pk: int) -> PoliceUnit:
    try:
        return visible_units(user).get(pk=pk)
    except (PoliceUnit.DoesNotExist, ValueError, TypeError):
        raise Http404("No such unit in your territory") from None


def has_role(user: User, *roles: str) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser or user.role == Role.ADMIN:
        return True
    return user.role in roles


def role_required(*roles: str):
    """View decorator: the user must be logged in and have one of ``roles``
    (admin always passes). Others get 404 rather than a hint that the page exists."""

    def decorator(view):
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect(f"/login/?next={request.path}")
            if roles and not has_role(request.user, *roles):
                raise Http404("Not available for your role")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def in_scope(qs: QuerySet, user: User, field: str = "kelurahan_id") -> QuerySet:
    """Filter any queryset by a kode column (or Wilayah foreign key) to the user's scope."""
    scope = scope_for(user)
    if scope.everything:
        return qs
    if scope.empty:
        return qs.none()
    return qs.filter(scope.q(field))


def get_in_scope(qs: QuerySet, user: User, pk, field: str = "kelurahan_id"):
    """One object from ``qs`` within the user's scope, or 404."""
    try:
        return in_scope(qs, user, field).get(pk=pk)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise Http404("Not found in your territory") from None

"""The JSON API under /api/v1/, documented at /api/v1/openapi.json."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError
from ninja.security import APIKeyCookie, HttpBearer

from sejuk.accounts import audit
from sejuk.accounts.middleware import client_ip
from sejuk.accounts.models import ApiToken


class SessionAuth(APIKeyCookie):
    """The browser session (for pages that call the API), with CSRF checks."""

    param_name = "sessionid"

    def authenticate(self, request: HttpRequest, key: str | None):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return user
        return None


class TokenAuth(HttpBearer):
    """``Authorization: Bearer sjk_…`` tokens for integrations."""

    def authenticate(self, request: HttpRequest, token: str):
        user = ApiToken.authenticate(token)
        if user is None:
            return None
        request.user = user
        # The middleware ran before we knew who this is: tell the audit log now.
        audit.set_actor(audit.actor_for_user(user, ip=client_ip(request), source="api"))
        return user


api = NinjaAPI(
    title="Sejuk API",
    version="1",
    description=(
        "Operations platform for the election-season cooling system. Every endpoint is "
        "scoped to the caller's unit and territory. Authenticate with a session cookie "
        "or `Authorization: Bearer <token>`."
    ),
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api",
    docs_url="/docs",
)


@api.exception_handler(ValidationError)
def _validation_error(request, exc: ValidationError):
    # Keep ninja's field-level detail and add a one-line message people can read.
    messages = []
    for err in exc.errors:
        loc = ".".join(str(p) for p in err.get("loc", [])[1:]) or "request"
        messages.append(f"{loc}: {err.get('msg', 'invalid')}")
    return api.create_response(
        request, {"detail": exc.errors, "message": "; ".join(messages)}, status=422
    )


@api.exception_handler(AuthenticationError)
def _auth_error(request, exc):
    return api.create_response(request, {"detail": "Authentication required"}, status=401)


def _field_errors(request, exc):
    detail = [{"loc": ["body", k], "msg": v, "type": "value_error"} for k, v in exc.errors.items()]
    return api.create_response(request, {"detail": detail, "message": str(exc)}, status=422)


def _register_routers() -> None:
    from sejuk.accounts.api import router as accounts_router
    from sejuk.fieldwork import actions as field_actions
    from sejuk.fieldwork.api import router as field_router
    from sejuk.territory.api import router as territory_router

    api.add_exception_handler(field_actions.FieldworkError, _field_errors)
    api.add_exception_handler(
        field_actions.NotInScope,
        lambda request, exc: api.create_response(
            request, {"detail": "Not found in your territory"}, status=404
        ),
    )
    api.add_exception_handler(
        field_actions.NotAllowed,
        lambda request, exc: api.create_response(request, {"detail": str(exc)}, status=403),
    )
    api.add_router("/", accounts_router)
    api.add_router("/", territory_router)
    api.add_router("/", field_router)

    from sejuk.reports import actions as report_actions
    from sejuk.reports.api import router as reports_router

    api.add_exception_handler(report_actions.ReportError, _field_errors)
    api.add_exception_handler(
        report_actions.NotInScope,
        lambda request, exc: api.create_response(request, {"detail": "Not found"}, status=404),
    )
    api.add_exception_handler(
        report_actions.NotAllowed,
        lambda request, exc: api.create_response(request, {"detail": str(exc)}, status=403),
    )
    api.add_router("/", reports_router)

    from sejuk.risk.api import register as register_risk

    register_risk(api)

    from sejuk.monitoring.api import router as monitoring_router

    api.add_router("/", monitoring_router)

    from sejuk.patrol.api import router as patrol_router

    api.add_router("/", patrol_router)


_register_routers()

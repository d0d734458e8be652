from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from sejuk.accounts import audit
from sejuk.accounts.middleware import client_ip
from sejuk.accounts.models import AuditAction


def _log_session_event(action: str, request, user) -> None:
    if user is None:
        return
    ip = client_ip(request) if request is not None else None
    audit.log(
        action,
        object_type="accounts.user",
        object_id=user.pk,
        object_repr=user.get_username(),
        actor=audit.actor_for_user(user, ip=ip, source="web"),
    )


@receiver(user_logged_in, dispatch_uid="sejuk-audit-login")
def _on_login(sender, request, user, **kwargs):
    _log_session_event(AuditAction.LOGIN, request, user)


@receiver(user_logged_out, dispatch_uid="sejuk-audit-logout")
def _on_logout(sender, request, user, **kwargs):
    _log_session_event(AuditAction.LOGOUT, request, user)

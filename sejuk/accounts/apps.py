from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "sejuk.accounts"
    label = "accounts"

    def ready(self) -> None:
        from sejuk.accounts import audit, signals  # noqa: F401
        from sejuk.accounts.models import ApiToken, User

        audit.register(User, exclude=("last_login",))
        audit.register(ApiToken, exclude=("last_used_at",))

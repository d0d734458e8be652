from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from sejuk.accounts.models import ApiToken, AuditEntry, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "role", "unit", "officer", "is_active", "is_demo", "last_login")
    list_filter = ("role", "is_active", "is_demo", "unit__kind")
    search_fields = ("username", "first_name", "last_name", "officer__name", "officer__nrp")
    autocomplete_fields = ("unit", "officer")
    fieldsets = BaseUserAdmin.fieldsets + (
        (_("Sejuk"), {"fields": ("role", "unit", "officer", "is_demo")}),
    )


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "user",
        "key_id",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    )
    readonly_fields = ("key_id", "key_hash", "created_at", "last_used_at")
    search_fields = ("name", "user__username", "key_id")
    actions = ["revoke"]

    def has_add_permission(self, request):
        # Tokens are issued with `sejuk accounts token-create`, which shows the
        # secret once; the admin never sees it.
        return False

    @admin.action(description=_("Revoke selected tokens"))
    def revoke(self, request, queryset):
        for token in queryset:
            token.revoke()


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Search the audit log. Nobody can add, change or delete entries here."""

    list_display = (
        "at",
        "actor_username",
        "actor_role",
        "action",
        "object_type",
        "object_id",
        "object_repr",
        "ip",
        "source",
    )
    list_filter = (
        "action",
        "object_type",
        "actor_role",
        "source",
        ("at", admin.DateFieldListFilter),
    )
    search_fields = ("actor_username", "object_id", "object_repr", "object_type", "ip")
    date_hierarchy = "at"
    list_per_page = 100
    readonly_fields = [f.name for f in AuditEntry._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        return {}

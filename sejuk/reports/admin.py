"""Django admin for citizen reports (admins only; the work happens on /reports/).

Reports, their events and photos are read-only here: every change to a report
must go through ``sejuk.reports.actions`` so that it lands on the timeline,
keeps the SLA clocks honest and notifies the right people. The reporter's
encrypted name and contact, and the blind index, are never shown; a person who
needs them uses "Show reporter" on the report page, which is audited. The SLA
policy (the configurable clocks) and the street gazetteer are editable.
"""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from sejuk.reports.models import (
    Notification,
    OutboundMessage,
    Report,
    ReportEvent,
    ReportPhoto,
    SlaPolicy,
    StreetAlias,
)

# Never displayed, in any admin view.
REPORTER_FIELDS = ("reporter_name_enc", "reporter_contact_enc", "reporter_hash")


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReportEventInline(ReadOnlyInline):
    model = ReportEvent
    fields = ("at", "kind", "from_status", "to_status", "actor_label", "public", "note")
    readonly_fields = fields


class ReportPhotoInline(ReadOnlyInline):
    model = ReportPhoto
    fields = ("thumbnail", "width", "height", "is_proof", "created_at")
    readonly_fields = fields

    @admin.display(description=_("photo"))
    def thumbnail(self, obj):
        if not obj.pk or not obj.image:
            return "—"
        return format_html(
            '<a href="{0}"><img src="{0}" alt="" style="max-width:160px;max-height:120px"></a>',
            reverse("reports:photo", args=[obj.pk]),
        )


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = (
        "ticket",
        "category",
        "urgency",
        "status",
        "channel",
        "kelurahan_id",
        "received_at",
        "archived",
    )
    list_filter = ("status", "urgency", "category", "channel", "archived", "is_demo")
    search_fields = ("ticket",)
    date_hierarchy = "received_at"
    ordering = ("-received_at",)
    exclude = REPORTER_FIELDS
    inlines = (ReportPhotoInline, ReportEventInline)
    list_select_related = False

    def get_queryset(self, request):
        return super().get_queryset(request).defer(*REPORTER_FIELDS)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # view only: changes go through the report page (actions)

    def has_delete_permission(self, request, obj=None):
        # Reports are evidence; retention is a separate, logged procedure.
        return False


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ("urgency", "ack_minutes", "scene_minutes", "escalate_again_minutes")
    ordering = ("urgency",)


@admin.register(StreetAlias)
class StreetAliasAdmin(admin.ModelAdmin):
    list_display = ("name", "kelurahan_id")
    search_fields = ("name", "kelurahan__kode", "kelurahan__nama")
    raw_id_fields = ("kelurahan",)
    ordering = ("name",)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "user", "kind", "report", "read_at")
    list_filter = ("kind",)
    search_fields = ("user__username", "report__ticket", "text")
    raw_id_fields = ("user", "report")
    readonly_fields = ("user", "report", "kind", "text", "dedupe_key", "created_at")
    date_hierarchy = "created_at"
    list_select_related = ("user", "report")

    def has_add_permission(self, request):
        return False


@admin.register(OutboundMessage)
class OutboundMessageAdmin(admin.ModelAdmin):
    """What was sent outside the app. The recipient stays encrypted (to_enc is
    never shown); the hash lets an admin find every message to one person."""

    list_display = ("created_at", "channel", "status", "short_text", "sent_at")
    list_filter = ("channel", "status")
    search_fields = ("to_hash", "dedupe_key")
    exclude = ("to_enc",)
    readonly_fields = (
        "channel",
        "to_hash",
        "text",
        "dedupe_key",
        "status",
        "error",
        "created_at",
        "sent_at",
    )
    date_hierarchy = "created_at"

    @admin.display(description=_("text"))
    def short_text(self, obj):
        return (obj.text or "")[:80]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("to_enc")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

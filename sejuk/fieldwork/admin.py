"""Django admin for field work (admins only; day-to-day work uses /fieldwork/).

Activities, visits, photos, complaint events and sync conflicts are read-only
here: activities carry a version and revision history for the offline merge
(docs/fieldwork.md) and complaints a recorded timeline, which a plain admin
edit would bypass. Kelurahan and officers are raw-id fields because the
territory has 83,000 kelurahan.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from sejuk.accounts import audit
from sejuk.fieldwork.models import (
    Activity,
    ActivityPhoto,
    ComplaintEvent,
    Contact,
    FieldComplaint,
    SyncConflict,
    TitikRawan,
    Visit,
)
from sejuk.fieldwork.photos import photo_url


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class VisitInline(ReadOnlyInline):
    model = Visit
    fields = (
        "titik",
        "checkin_at",
        "checkin_lat",
        "checkin_lon",
        "accuracy_m",
        "distance_m",
        "flagged",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("titik")


class ActivityPhotoInline(ReadOnlyInline):
    model = ActivityPhoto
    fields = ("thumbnail", "caption", "width", "height", "created_at")
    readonly_fields = fields

    @admin.display(description=_("photo"))
    def thumbnail(self, obj):
        if not obj.image:
            return "—"
        return format_html(
            '<a href="{0}"><img src="{0}" alt="" style="max-width:160px;max-height:120px"></a>',
            photo_url(obj),
        )


@admin.register(TitikRawan)
class TitikRawanAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "category",
        "kelurahan_id",
        "vulnerability",
        "active_from",
        "active_until",
        "is_demo",
    )
    list_filter = ("category", "vulnerability", "is_demo")
    search_fields = ("name", "street", "kelurahan__kode", "kelurahan__nama")
    raw_id_fields = ("kelurahan", "created_by")
    readonly_fields = ("created_at", "updated_at")
    show_full_result_count = False

    def save_model(self, request, obj, form, change):
        if obj.created_by_id is None:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ("__str__", "kind", "kelurahan_id", "started_at", "follow_up_needed", "version")
    list_filter = ("kind", "follow_up_needed", "is_demo")
    date_hierarchy = "started_at"
    search_fields = (
        "=client_uuid",
        "kelurahan__kode",
        "kelurahan__nama",
        "location_text",
        "people_met",
        "notes",
    )
    inlines = (VisitInline, ActivityPhotoInline)
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    """Personal data: every change page and every list page shown is audited."""

    list_display = ("name", "role_title", "category", "kelurahan_id", "is_demo")
    list_filter = ("category", "is_demo")
    search_fields = ("name", "role_title", "phone", "kelurahan__kode", "kelurahan__nama")
    raw_id_fields = ("kelurahan", "created_by")
    readonly_fields = ("created_at",)
    show_full_result_count = False

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        cl = getattr(response, "context_data", {}).get("cl")
        if cl is not None:
            for contact in cl.result_list:
                audit.log_view(request.user, contact, ["name", "role_title"])
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        original = getattr(response, "context_data", {}).get("original")
        if request.method == "GET" and original is not None:
            audit.log_view(request.user, original, list(Contact.PERSONAL_FIELDS))
        return response


class ComplaintEventInline(ReadOnlyInline):
    model = ComplaintEvent
    fields = ("at", "actor", "from_status", "to_status", "note")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


@admin.register(FieldComplaint)
class FieldComplaintAdmin(admin.ModelAdmin):
    list_display = ("summary", "kelurahan_id", "status", "owner", "due_date")
    list_filter = ("status", "is_demo")
    list_select_related = ("owner",)
    date_hierarchy = "due_date"
    search_fields = (
        "summary",
        "details",
        "raised_by",
        "handed_to",
        "kelurahan__kode",
        "kelurahan__nama",
    )
    raw_id_fields = ("kelurahan", "owner", "activity")
    # The status changes only through the workflow, which records each step.
    readonly_fields = ("status", "client_uuid", "created_at", "updated_at")
    inlines = (ComplaintEventInline,)
    show_full_result_count = False


@admin.register(SyncConflict)
class SyncConflictAdmin(admin.ModelAdmin):
    list_display = ("activity", "field", "at", "acknowledged")
    list_filter = ("acknowledged", "field")
    list_select_related = ("activity",)
    search_fields = ("=activity__client_uuid", "field")
    raw_id_fields = ("activity", "discarded_by")
    readonly_fields = ("activity", "field", "kept_value", "discarded_value", "discarded_by", "at")

    def has_add_permission(self, request):
        return False

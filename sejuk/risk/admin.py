"""Django admin for the risk app (admins only; day-to-day work uses /risk/).

Incidents can be recorded and corrected here. Assessments are history and
stay read-only (a correction is a new assessment on the page); daily rows,
rollups, hotspots and runs are computed and read-only. Kelurahan are raw-id
fields: the territory has 83,000 of them.
"""

from __future__ import annotations

from django.contrib import admin

from sejuk.risk.models import (
    Assessment,
    ComputeRun,
    DailyRisk,
    ForecastHotspot,
    Incident,
    RiskAlert,
    RiskRollup,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ("occurred_at", "kelurahan", "kind", "severity", "source", "ref")
    list_filter = ("kind", "severity", "source", "is_demo")
    search_fields = ("kelurahan__kode", "kelurahan__nama", "description", "ref")
    raw_id_fields = ("kelurahan", "report", "activity", "created_by")
    date_hierarchy = "occurred_at"

    def save_model(self, request, obj, form, change):
        if not change and obj.created_by_id is None:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Assessment)
class AssessmentAdmin(ReadOnlyAdmin):
    list_display = (
        "kelurahan",
        "period_start",
        "period_end",
        "spec_version",
        "created_by",
        "created_at",
    )
    search_fields = ("kelurahan__kode", "kelurahan__nama")
    list_filter = ("spec_version",)


@admin.register(RiskAlert)
class RiskAlertAdmin(admin.ModelAdmin):
    list_display = ("date", "kind", "kelurahan", "level", "previous_level", "status", "notified")
    list_filter = ("kind", "status", "level")
    search_fields = ("kelurahan__kode", "kelurahan__nama")
    readonly_fields = (
        "kind",
        "kelurahan",
        "date",
        "level",
        "previous_level",
        "score",
        "detail",
        "dedupe_key",
        "notified",
        "created_at",
        "handled_by",
        "handled_at",
    )

    def has_add_permission(self, request):
        return False


@admin.register(DailyRisk)
class DailyRiskAdmin(ReadOnlyAdmin):
    list_display = ("date", "kelurahan", "score", "level", "trend", "phase", "assessed")
    list_filter = ("level", "phase", "assessed")
    search_fields = ("kelurahan__kode",)
    date_hierarchy = "date"
    show_full_result_count = False


@admin.register(RiskRollup)
class RiskRollupAdmin(ReadOnlyAdmin):
    list_display = ("date", "kind", "code", "name", "score", "mean", "level", "n_kelurahan")
    list_filter = ("kind", "level")
    search_fields = ("code", "name")
    date_hierarchy = "date"


@admin.register(ForecastHotspot)
class ForecastHotspotAdmin(ReadOnlyAdmin):
    list_display = ("as_of", "scope", "rank", "cell", "kelurahan", "score", "model")
    list_filter = ("scope", "model")


@admin.register(ComputeRun)
class ComputeRunAdmin(ReadOnlyAdmin):
    list_display = ("finished_at", "date", "scope", "kelurahan", "seconds", "alerts", "source")
    list_filter = ("source",)

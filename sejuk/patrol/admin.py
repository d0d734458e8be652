"""Django admin for patrol planning (admins only; day-to-day work uses /patrol/).

Plans and stops are read-only here: they are written by the planner and the
directives (``actions.py``), which keep the route, the checker and the field-log
links consistent. Officers' shift settings and events can be edited.
"""

from __future__ import annotations

from django.contrib import admin

from sejuk.patrol.models import OfficerPatrolSettings, PatrolPlan, PlanStop, ScheduledEvent


@admin.register(OfficerPatrolSettings)
class OfficerPatrolSettingsAdmin(admin.ModelAdmin):
    list_display = ("officer", "shift_start", "shift_end", "mode", "active")
    list_filter = ("mode", "active")
    raw_id_fields = ("officer",)
    search_fields = ("officer__name", "officer__nrp")


@admin.register(ScheduledEvent)
class ScheduledEventAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "day", "starts_at", "ends_at", "kelurahan", "must_attend")
    list_filter = ("kind", "must_attend", "day")
    raw_id_fields = ("kelurahan", "titik", "created_by")
    search_fields = ("name", "place")
    date_hierarchy = "day"


class PlanStopInline(admin.TabularInline):
    model = PlanStop
    extra = 0
    can_delete = False
    fields = ("sequence", "name", "start_at", "prize", "must_visit", "reason", "done_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(PatrolPlan)
class PatrolPlanAdmin(admin.ModelAdmin):
    list_display = ("officer", "day", "kelurahan", "source", "revision", "feasible")
    list_filter = ("day", "source", "feasible")
    search_fields = ("officer__name", "officer__nrp")
    inlines = [PlanStopInline]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in PatrolPlan._meta.fields]

    def has_add_permission(self, request):
        return False

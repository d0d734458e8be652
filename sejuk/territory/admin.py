from django.contrib import admin

from sejuk.territory.models import ImportRun, Officer, PoliceUnit, Wilayah


@admin.register(Wilayah)
class WilayahAdmin(admin.ModelAdmin):
    list_display = ("kode", "nama", "level", "parent", "area_km2")
    list_filter = ("level",)
    search_fields = ("kode", "nama")
    readonly_fields = (
        "kode",
        "level",
        "parent",
        "centroid_lat",
        "centroid_lon",
        "area_km2",
        "min_lat",
        "min_lon",
        "max_lat",
        "max_lon",
    )
    exclude = ("geometry", "neighbours")
    show_full_result_count = False

    def get_queryset(self, request):
        return super().get_queryset(request).defer("geometry")


@admin.register(PoliceUnit)
class PoliceUnitAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "parent", "code", "is_demo")
    list_filter = ("kind", "is_demo")
    search_fields = ("name", "code")
    autocomplete_fields = ("parent", "wilayah")


@admin.register(Officer)
class OfficerAdmin(admin.ModelAdmin):
    list_display = ("name", "rank", "nrp", "position", "unit", "active", "is_demo")
    list_filter = ("rank", "active", "is_demo", "unit__kind")
    search_fields = ("name", "nrp")
    autocomplete_fields = ("unit", "kelurahan")


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    list_display = ("kind", "finished_at", "created", "updated", "unchanged", "source")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

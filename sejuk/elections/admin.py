from django.contrib import admin

from sejuk.elections.models import Election


@admin.register(Election)
class ElectionAdmin(admin.ModelAdmin):
    list_display = ("name", "voting_day", "campaign_start", "campaign_end", "is_demo")
    autocomplete_fields = ("wilayah",)

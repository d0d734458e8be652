"""Monitoring pages, included under /monitoring/ (docs/monitoring.md)."""

from __future__ import annotations

from django.urls import path

from sejuk.monitoring import views

app_name = "monitoring"

urlpatterns = [
    path("", views.narratives, name="narratives"),
    path("narratives/<int:pk>/", views.narrative_detail, name="narrative"),
    path("map/", views.volume_map, name="map"),
    path("posts/", views.post_search, name="posts"),
    path("posts/<int:pk>/", views.post_detail, name="post"),
    path("alerts/", views.alerts, name="alerts"),
    path("alerts/<int:pk>/", views.alert_detail, name="alert"),
    path("claims/", views.claims, name="claims"),
    path("claims/new/", views.claim_edit, name="claim-new"),
    path("claims/<int:pk>/", views.claim_edit, name="claim-edit"),
    path("claims/import/", views.claim_import, name="claim-import"),
    path("settings/", views.settings_view, name="settings"),
]

"""Risk pages, included under /risk/ (docs/risk.md)."""

from __future__ import annotations

from django.urls import path

from sejuk.risk import views

app_name = "risk"

urlpatterns = [
    path("", views.risk_map, name="map"),
    path("kelurahan/<str:kode>/", views.kelurahan_detail, name="kelurahan"),
    path("kelurahan/<str:kode>/assessment/", views.assessment, name="assessment"),
    path("alerts/", views.alerts, name="alerts"),
    path("alerts/<int:pk>/", views.alert_update, name="alert-update"),
    path("incidents/", views.incidents, name="incidents"),
    path("incidents/new/", views.incident_new, name="incident-new"),
]

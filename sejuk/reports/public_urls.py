"""The resident's pages, no account needed, included under /lapor/ (docs/reports.md)."""

from __future__ import annotations

from django.urls import path

from sejuk.reports import views

app_name = "lapor"

urlpatterns = [
    path("", views.public_form, name="form"),
    path("cek/", views.public_check, name="check"),
    path("tiket/<str:ticket>/", views.public_ticket, name="ticket"),
    path("tiket/<str:ticket>/nilai/", views.public_rate, name="rate"),
    path("tiket/<str:ticket>/buka-lagi/", views.public_reopen, name="reopen"),
]

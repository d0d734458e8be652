"""Staff pages for citizen reports, included under /reports/ (docs/reports.md)."""

from __future__ import annotations

from django.urls import path

from sejuk.reports import views

app_name = "reports"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("board/", views.board, name="board"),
    path("search/", views.search, name="search"),
    path("operator/", views.operator, name="operator"),
    path("kelurahan-search", views.kelurahan_search, name="kelurahan-search"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications-read"),
    path("photos/<int:pk>.jpg", views.photo, name="photo"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/reporter/", views.reporter, name="reporter"),
    path("<int:pk>/act/<slug:action>/", views.act, name="act"),
]

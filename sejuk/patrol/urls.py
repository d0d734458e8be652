"""Desktop pages for patrol plans, included under /patrol/."""

from __future__ import annotations

from django.urls import path

from sejuk.patrol import views

app_name = "patrol"

urlpatterns = [
    path("", views.plan_list, name="plans"),
    path("generate/", views.plan_generate, name="generate"),
    path("plans/<int:pk>/", views.plan_detail, name="plan"),
    path("plans/<int:pk>/replan/", views.plan_replan, name="replan"),
    path("stops/<int:pk>/done/", views.stop_done, name="stop-done"),
    path("stops/<int:pk>/<str:directive>/", views.stop_directive, name="stop-directive"),
    path("events/", views.event_list, name="events"),
    path("events/new/", views.event_form, name="event-new"),
    path("events/<int:pk>/edit/", views.event_form, name="event-edit"),
    path("events/<int:pk>/delete/", views.event_delete, name="event-delete"),
    path("coverage/", views.coverage, name="coverage"),
]

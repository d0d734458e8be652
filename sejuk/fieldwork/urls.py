"""Desktop pages for field work, included under /fieldwork/."""

from __future__ import annotations

from django.urls import path

from sejuk.fieldwork import views

app_name = "fieldwork"

urlpatterns = [
    path("titik/", views.titik_list, name="titik-list"),
    path("titik/new/", views.titik_form, name="titik-new"),
    path("titik/export.csv", views.titik_export, name="titik-export"),
    path("titik/import/", views.titik_import, name="titik-import"),
    path("titik/<int:pk>/", views.titik_detail, name="titik"),
    path("titik/<int:pk>/edit/", views.titik_form, name="titik-edit"),
    path("activities/", views.activity_list, name="activities"),
    path("activities/export.csv", views.activity_export, name="activities-export"),
    path("activities/<int:pk>/", views.activity_detail, name="activity"),
    path(
        "activities/<int:pk>/conflicts/<int:conflict_id>/acknowledge/",
        views.conflict_ack,
        name="conflict-ack",
    ),
    path("contacts/", views.contact_list, name="contacts"),
    path("contacts/new/", views.contact_form, name="contact-new"),
    path("contacts/<int:pk>/", views.contact_detail, name="contact"),
    path("contacts/<int:pk>/edit/", views.contact_form, name="contact-edit"),
    path("complaints/", views.complaint_list, name="complaints"),
    path("complaints/<int:pk>/", views.complaint_detail, name="complaint"),
    path(
        "complaints/<int:pk>/transition/", views.complaint_transition, name="complaint-transition"
    ),
    path("complaints/<int:pk>/reassign/", views.complaint_reassign, name="complaint-reassign"),
    path("coverage/", views.coverage, name="coverage"),
    path("coverage/export.csv", views.coverage_export, name="coverage-export"),
]

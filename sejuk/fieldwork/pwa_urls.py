"""URLs of the officer PWA, included under /field/."""

from __future__ import annotations

from django.urls import path

from sejuk.fieldwork import pwa

app_name = "field"

urlpatterns = [
    path("", pwa.app_shell, name="app"),
    path("manifest.webmanifest", pwa.manifest, name="manifest"),
    path("sw.js", pwa.service_worker, name="sw"),
]

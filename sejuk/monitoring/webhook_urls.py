"""Mounted at /webhooks/monitoring: served with and without the trailing
slash, because a collector posts to exactly the URL it was given and a
redirect would lose the POST."""

from django.urls import re_path

from sejuk.monitoring import webhooks

urlpatterns = [
    re_path(r"^(?:/)?$", webhooks.posts, name="monitoring-webhook"),
]

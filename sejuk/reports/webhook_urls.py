"""Channel webhooks, mounted at /webhooks/ (see docs/channels.md).

Both spellings (with and without the trailing slash) are served: a provider
posts to exactly the URL it was given, and a redirect would lose the POST."""

from django.urls import path

from sejuk.reports import webhooks

urlpatterns = [
    path("whatsapp", webhooks.whatsapp, name="webhook-whatsapp"),
    path("whatsapp/", webhooks.whatsapp),
    path("telegram/", webhooks.telegram, name="webhook-telegram"),
    path("telegram", webhooks.telegram),
]

"""Indonesian text classifier commands (sejuk nlp ...); the model lives in sejuk.analytics.textclass."""

from django.apps import AppConfig


class NlpConfig(AppConfig):
    name = "sejuk.nlp"
    label = "nlp"

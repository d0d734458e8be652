"""Patrol planning: daily routes over titik rawan, coverage."""

from django.apps import AppConfig


class PatrolConfig(AppConfig):
    name = "sejuk.patrol"
    label = "patrol"

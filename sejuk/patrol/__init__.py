"""Patrol planning: daily routes over titik rawan, coverage."""

"""Sejuk: operations platform for the election-season cooling system of community policing."""

__version__ = "0.1.0"

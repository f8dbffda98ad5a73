"""Leadstreams: marketing contacts become sales leads by rules, continuously."""

__version__ = "0.1.0"

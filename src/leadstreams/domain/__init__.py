"""Entities' invariants, pure: no database, no web."""

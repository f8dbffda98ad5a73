"""Persistence: tables, repositories, unit of work. Only this package writes SQL."""

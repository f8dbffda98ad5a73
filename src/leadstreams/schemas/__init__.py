"""Validated shapes of what comes in and goes out: shared by the API, the CLI and services."""

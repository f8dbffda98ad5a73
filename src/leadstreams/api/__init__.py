"""The REST API (shared/spec/api.md): routes parse, call one service, return."""

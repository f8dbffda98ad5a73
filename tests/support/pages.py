"""Logging in through the login form as a browser does: the form's CSRF token first."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client: TestClient, path: str = "/login") -> str:
    found = _TOKEN.search(client.get(path).text)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def post_login(client: TestClient, data: dict[str, Any]) -> Any:
    """POST /login with `data` and the token of the form GET /login served this client."""
    return client.post("/login", data={**data, "csrf_token": csrf_token(client)})

"""Logging in under attack: wrong passwords are throttled per account and per address (429
with Retry-After), and the password hash runs in a pool of its own."""

from __future__ import annotations

import threading

import pytest

from leadstreams.services import auth
from leadstreams.services.auth import Principal
from tests.support.api import PASSWORD, Api
from tests.support.pages import post_login

TOKEN = "/api/v1/auth/token"


def _token(api: Api, email: str, password: str) -> int:
    return api.anonymous.post(TOKEN, data={"username": email, "password": password}).status_code


def test_an_account_with_too_many_wrong_passwords_is_refused_for_a_while(api: Api) -> None:
    assert [_token(api, "sales@example.com", "wrong") for _ in range(10)] == [401] * 10

    refused = api.anonymous.post(
        TOKEN, data={"username": "Sales@example.com ", "password": PASSWORD}
    )
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 300
    assert refused.json()["error"]["code"] == "too_many_requests"
    page = post_login(api.anonymous, {"email": "sales@example.com", "password": PASSWORD})
    assert page.status_code == 429 and "Too many wrong passwords" in page.text
    assert _token(api, "marketing@example.com", PASSWORD) == 200  # other accounts go on


def test_an_address_with_too_many_wrong_passwords_is_refused_for_a_while(api: Api) -> None:
    statuses = [_token(api, f"guess{i}@example.com", "wrong") for i in range(50)]
    assert statuses == [401] * 50
    assert _token(api, "marketing@example.com", PASSWORD) == 429


def test_right_passwords_are_not_counted(api: Api) -> None:
    assert [_token(api, "sales@example.com", PASSWORD) for _ in range(12)] == [200] * 12


def test_the_password_hash_runs_in_its_own_threads(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[str] = []
    check = auth.authenticate

    def recorded(*args: object, **kwargs: str) -> Principal:
        threads.append(threading.current_thread().name)
        return check(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(auth, "authenticate", recorded)
    assert _token(api, "sales@example.com", PASSWORD) == 200
    assert _token(api, "sales@example.com", "wrong") == 401
    assert len(threads) == 2 and all(name.startswith("password-hash") for name in threads)

from __future__ import annotations

import pytest

from tests.support.api import Api


@pytest.mark.parametrize(
    ("change", "path"), [({"role": "marketing"}, "role"), ({"active": False}, "active")]
)
def test_an_admin_cannot_lock_themselves_out(
    api: Api, change: dict[str, object], path: str
) -> None:
    me = api.admin.get("/api/v1/me").json()
    refused = api.admin.patch(f"/api/v1/users/{me['id']}", json=change)
    assert refused.status_code == 422
    assert [d["path"] for d in refused.json()["error"]["details"]] == [path]
    assert api.admin.get("/api/v1/me").json() == me


def test_an_admin_may_change_another_admin(api: Api) -> None:
    created = api.admin.post(
        "/api/v1/users",
        json={"email": "second@example.com", "name": "Second", "role": "admin",
              "password": "correct horse"},
    )  # fmt: skip
    changed = api.admin.patch(f"/api/v1/users/{created.json()['id']}", json={"role": "marketing"})
    assert changed.json()["role"] == "marketing"

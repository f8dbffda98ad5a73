from __future__ import annotations

from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher

from leadstreams.services import auth


@pytest.fixture(autouse=True, scope="module")
def fast_passwords() -> Iterator[None]:
    """Cheap argon2 parameters: every API test creates four users and logs them in, and the
    production cost (~0.1 s a hash) would dominate the suite. Verification reads the
    parameters from the hash, so logging in stays the real code path."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        yield

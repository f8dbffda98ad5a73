"""Logging in, guarded: wrong passwords are throttled per account and per address, and the
password hash (argon2, deliberately slow) runs in a small pool of its own, so that a burst of
logins never makes other requests wait for a thread.

The counts live in this process's memory (the `limits` package's moving window): with several
server processes, each allows the limit, which still bounds guessing to a handful of tries a
minute per process."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from leadstreams.errors import TooManyRequests, Unauthenticated
from leadstreams.services import auth
from leadstreams.services.auth import Principal
from leadstreams.services.context import Context

HASHING_THREADS = 2


class Logins:
    def __init__(self, *, per_account: str, per_address: str) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._per_account = parse(per_account)
        self._per_address = parse(per_address)
        self._hashing = ThreadPoolExecutor(HASHING_THREADS, thread_name_prefix="password-hash")

    async def authenticate(
        self, ctx: Context, *, email: str, password: str, address: str
    ) -> Principal:
        """The user, or Unauthenticated; TooManyRequests (with when to try again) while the
        account or the address has had too many wrong passwords lately."""
        keys = [
            (self._per_account, "account", email.strip().lower()),
            (self._per_address, "address", address),
        ]
        for limit, kind, key in keys:
            if not self._limiter.test(limit, kind, key):
                reset = self._limiter.get_window_stats(limit, kind, key).reset_time
                raise TooManyRequests(
                    f"too many wrong passwords for this {kind}; try again later",
                    retry_after=max(1, round(reset - time.time())),
                )
        loop = asyncio.get_running_loop()
        check = partial(auth.authenticate, ctx, email=email, password=password)
        try:
            return await loop.run_in_executor(self._hashing, check)
        except Unauthenticated:
            for limit, kind, key in keys:
                self._limiter.hit(limit, kind, key)
            raise

    def close(self) -> None:
        self._hashing.shutdown(wait=False)

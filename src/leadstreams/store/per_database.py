"""One object per database in this process (engines on the same URL share it), kept as long
as the process runs: the write lock and the commit counter each need exactly one."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Generic, TypeVar

from sqlalchemy import Engine

T = TypeVar("T")


class PerDatabase(Generic[T]):
    def __init__(self, make: Callable[[], T]) -> None:
        self._make = make
        self._by_url: dict[str, T] = {}
        self._by_engine: weakref.WeakKeyDictionary[Engine, T] = weakref.WeakKeyDictionary()
        self._mutex = threading.Lock()

    def of(self, engine: Engine) -> T:
        found = self._by_engine.get(engine)  # the common case, without the mutex
        if found is None:
            with self._mutex:
                key = engine.url.render_as_string(hide_password=False)
                found = self._by_url.get(key)
                if found is None:
                    found = self._by_url[key] = self._make()
                self._by_engine[engine] = found
        return found

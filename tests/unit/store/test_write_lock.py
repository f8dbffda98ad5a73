"""SQLite's writers in one process take turns in the order they came (store/write_lock.py)."""

from __future__ import annotations

import threading
import time

from leadstreams.store.write_lock import FairLock


def _wait_until(condition: object, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)


def test_waiters_get_the_lock_in_the_order_they_came_and_the_holder_cannot_cut_in() -> None:
    lock = FairLock()
    order: list[str] = []
    assert lock.acquire()

    def writer(name: str) -> None:
        assert lock.acquire()
        order.append(name)
        lock.release()

    threads = []
    for name in ("first", "second", "third"):
        thread = threading.Thread(target=writer, args=(name,))
        thread.start()
        threads.append(thread)
        _wait_until(lambda: lock.waiting == len(threads))  # in line before the next comes
    lock.release()
    assert lock.acquire()  # the one that just wrote queues behind the three
    order.append("again")
    lock.release()
    for thread in threads:
        thread.join(5)
    assert order == ["first", "second", "third", "again"]


def test_the_holder_may_take_it_again_and_holds_it_until_the_last_release() -> None:
    lock = FairLock()
    assert lock.acquire() and lock.acquire()
    lock.release()
    got: list[bool] = []
    other = threading.Thread(target=lambda: got.append(lock.acquire(timeout=0.2)))
    other.start()
    other.join(5)
    assert got == [False]  # still held once
    lock.release()
    other = threading.Thread(target=lambda: got.append(lock.acquire(timeout=5)))
    other.start()
    other.join(5)
    assert got == [False, True]


def test_a_waiter_that_gives_up_leaves_the_line_and_the_next_one_gets_the_lock() -> None:
    lock = FairLock()
    assert lock.acquire()
    gave_up: list[bool] = []
    impatient = threading.Thread(target=lambda: gave_up.append(lock.acquire(timeout=0.1)))
    impatient.start()
    impatient.join(5)
    assert gave_up == [False] and lock.waiting == 0
    got: list[bool] = []
    patient = threading.Thread(target=lambda: (got.append(lock.acquire(timeout=5)), lock.release()))
    patient.start()
    _wait_until(lambda: lock.waiting == 1)
    lock.release()
    patient.join(5)
    assert got == [True]
    assert lock.acquire(timeout=0)  # free again

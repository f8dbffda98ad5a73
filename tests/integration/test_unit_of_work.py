"""The unit of work owns the commit; what it was told to do after one runs only after it."""

from __future__ import annotations

import threading

import pytest

from leadstreams.services.context import Context
from leadstreams.store import write_lock


def test_what_follows_a_commit_runs_after_it_in_order(ctx: Context) -> None:
    done: list[str] = []
    with ctx.uow() as uow:
        uow.after_commit(lambda: done.append("first"))
        uow.after_commit(lambda: done.append("second"))
        assert done == []
        uow.commit()
        assert done == ["first", "second"]
    assert done == ["first", "second"]


def test_nothing_follows_a_unit_of_work_left_without_commit(ctx: Context) -> None:
    done: list[str] = []
    with ctx.uow() as uow:
        uow.after_commit(lambda: done.append("never"))
    with pytest.raises(LookupError), ctx.uow() as uow:
        uow.after_commit(lambda: done.append("never"))
        raise LookupError
    assert done == []


def test_what_followed_one_commit_does_not_follow_the_next(ctx: Context) -> None:
    done: list[int] = []
    with ctx.uow() as uow:
        uow.after_commit(lambda: done.append(1))
        uow.commit()
        uow.connection.begin()
        uow.commit()
    assert done == [1]


def test_sqlite_writers_of_this_process_queue_and_each_leaves_the_line_however_it_ends(
    ctx: Context,
) -> None:
    lock = write_lock.for_engine(ctx.database.engine)
    if lock is None:
        pytest.skip("PostgreSQL: writers do not exclude one another")

    def free_for_another_thread() -> bool:
        got: list[bool] = []
        other = threading.Thread(target=lambda: got.append(lock.acquire(timeout=0.5)))
        other.start()
        other.join(5)
        if got == [True]:
            lock.release()
        return got == [True]

    with ctx.uow() as uow:
        assert not free_for_another_thread()  # a write transaction holds it
        with ctx.uow(read_only=True):  # readers do not queue
            pass
        uow.commit()
        assert free_for_another_thread()  # given up at the commit
    with pytest.raises(LookupError), ctx.uow():
        raise LookupError
    assert free_for_another_thread()  # and when left by an exception
    with ctx.uow(read_only=True):
        assert free_for_another_thread()

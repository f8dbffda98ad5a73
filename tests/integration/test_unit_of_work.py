"""The unit of work owns the commit; what it was told to do after one runs only after it."""

from __future__ import annotations

import pytest

from leadstreams.services.context import Context


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

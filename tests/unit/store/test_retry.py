"""Doing the work again after a deadlock or serialization failure, and only then."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from leadstreams.store.retry import retryable_code, run_retrying


class _DriverError(Exception):
    def __init__(self, sqlstate: str | None) -> None:
        super().__init__(f"sqlstate {sqlstate}")
        self.sqlstate = sqlstate


def _failure(sqlstate: str | None) -> OperationalError:
    return OperationalError("UPDATE ...", {}, _DriverError(sqlstate))


class _Work:
    """Fails with `errors` in turn, then answers how many calls it took."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> int:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return self.calls


@pytest.mark.parametrize("sqlstate", ["40P01", "40001"])
def test_a_deadlock_or_serialization_failure_is_retryable(sqlstate: str) -> None:
    assert retryable_code(_failure(sqlstate)) == sqlstate


@pytest.mark.parametrize(
    "error",
    [
        _failure(None),
        _failure("23505"),
        IntegrityError("INSERT ...", {}, _DriverError("23505")),
        RuntimeError("40P01"),
    ],
    ids=["no sqlstate", "unique violation", "integrity error", "not a database error"],
)
def test_other_errors_are_not_retryable(error: Exception) -> None:
    assert retryable_code(error) is None


def test_the_work_is_done_again_after_a_deadlock() -> None:
    work, retried = _Work(_failure("40P01"), _failure("40001")), []

    assert run_retrying(work=work, attempts=3, on_retry=retried.append) == 3
    assert retried == ["40P01", "40001"]


def test_the_last_attempts_failure_is_raised() -> None:
    last = _failure("40P01")
    work = _Work(_failure("40P01"), last)

    with pytest.raises(OperationalError) as raised:
        run_retrying(work=work, attempts=2)
    assert raised.value is last and work.calls == 2


def test_another_error_is_raised_at_once() -> None:
    other = _failure("23505")
    work = _Work(other)

    with pytest.raises(OperationalError) as raised:
        run_retrying(work=work, attempts=3)
    assert raised.value is other and work.calls == 1

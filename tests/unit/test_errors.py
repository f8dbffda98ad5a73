from __future__ import annotations

import pytest

from leadstreams.errors import error_path
from leadstreams.schemas.common import NUL_TEXT, unstorable_at


@pytest.mark.parametrize(
    ("location", "path"),
    [
        ((), ""),
        (("name",), "name"),
        (("team_ids", 0), "team_ids[0]"),
        (("rules", "all", 2, "field"), "rules.all[2].field"),
        ((0, "email"), "[0].email"),
    ],
)
def test_an_error_location_is_written_one_way(location: tuple[str | int, ...], path: str) -> None:
    assert error_path(location) == path


def test_unstorable_text_is_found_at_its_path() -> None:
    value = {"a": [1, {"b": "x\x00"}]}
    assert unstorable_at(value) == ("a[1].b", NUL_TEXT)
    assert unstorable_at("\x00") == ("", NUL_TEXT)

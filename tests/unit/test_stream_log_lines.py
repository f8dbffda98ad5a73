"""The lines of a stream's log on its page, one per action."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from leadstreams.domain.streams import StreamAction
from leadstreams.schemas.streams import StreamLogEntry
from leadstreams.web.pages._stream_form import what_happened


def _entry(action: str, changes: dict[str, Any]) -> StreamLogEntry:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    return StreamLogEntry(id=1, stream_id=1, at=at, user_id=None, action=action, changes=changes)


@pytest.mark.parametrize("action", list(StreamAction))
def test_every_action_has_its_own_words(action: StreamAction) -> None:
    line = what_happened(_entry(action.value, {}))
    assert line and "_" not in line


def test_an_edit_names_the_fields_it_changed_in_plain_words() -> None:
    changes = {"name": {}, "team_ids": {}, "requalify_after_days": {}}
    line = what_happened(_entry("edited", changes))
    assert line == "edited name, teams, re-qualify period"


def test_a_clear_and_a_finished_fetch_say_how_many_matches() -> None:
    cleared = _entry("cleared", {"matches_cleared": 3})
    done = _entry("fetch_history_done", {"matches_created": 2})
    assert what_happened(cleared) == "cleared its leads (3 matches cleared)"
    assert what_happened(done) == "finished fetching leads from history (2 new matches)"


def test_an_unknown_action_is_shown_in_words() -> None:
    assert what_happened(_entry("renamed_twice", {})) == "renamed twice"

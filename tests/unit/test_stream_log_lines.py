"""The lines of a stream's log on its page, one per action."""

from __future__ import annotations

import pytest

from leadstreams.domain.streams import StreamAction
from leadstreams.web.pages._stream_form import what_happened


@pytest.mark.parametrize("action", list(StreamAction))
def test_every_action_has_its_own_words(action: StreamAction) -> None:
    line = what_happened({"action": action.value, "changes": {}})
    assert line and "_" not in line


def test_an_edit_names_the_fields_it_changed_in_plain_words() -> None:
    changes = {"name": {}, "team_ids": {}, "requalify_after_days": {}}
    line = what_happened({"action": "edited", "changes": changes})
    assert line == "edited name, teams, re-qualify period"


def test_a_clear_and_a_finished_fetch_say_how_many_matches() -> None:
    cleared = {"action": "cleared", "changes": {"matches_cleared": 3}}
    done = {"action": "fetch_history_done", "changes": {"matches_created": 2}}
    assert what_happened(cleared) == "cleared its leads (3 matches cleared)"
    assert what_happened(done) == "finished fetching leads from history (2 new matches)"


def test_an_unknown_action_is_shown_in_words() -> None:
    assert what_happened({"action": "renamed_twice", "changes": None}) == "renamed twice"

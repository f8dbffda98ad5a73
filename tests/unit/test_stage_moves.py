from __future__ import annotations

from datetime import UTC, datetime

import pytest

from leadstreams.domain.stages import Move, Stage, check_reopen, move
from leadstreams.errors import Conflict

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
EARLIER = datetime(2026, 2, 1, 9, tzinfo=UTC)


@pytest.mark.parametrize("to", [Stage.MQL, Stage.SQL, Stage.OPPORTUNITY])
def test_moving_an_open_lead_to_an_open_stage_keeps_it_open(to: Stage) -> None:
    assert move(to=to, closed_at=None, now=NOW) == Move(to, None, reopens=False)


@pytest.mark.parametrize("to", [Stage.WON, Stage.LOST])
def test_won_and_lost_close_an_open_lead_now(to: Stage) -> None:
    assert move(to=to, closed_at=None, now=NOW) == Move(to, NOW, reopens=False)


def test_correcting_won_to_lost_keeps_the_time_it_closed() -> None:
    assert move(to=Stage.LOST, closed_at=EARLIER, now=NOW) == Move(Stage.LOST, EARLIER, False)


@pytest.mark.parametrize("to", [Stage.MQL, Stage.SQL, Stage.OPPORTUNITY])
def test_moving_a_closed_lead_back_reopens_it(to: Stage) -> None:
    assert move(to=to, closed_at=EARLIER, now=NOW) == Move(to, None, reopens=True)


def test_a_lead_reopens_when_its_contact_has_no_other_open_lead() -> None:
    check_reopen(other_open_lead=None)


def test_reopening_is_refused_while_the_contact_has_another_open_lead() -> None:
    with pytest.raises(Conflict, match=r"another open lead \(7\)"):
        check_reopen(other_open_lead=7)

"""Users who opted out of their teams' lead e-mails."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.engine import Connection

from leadstreams.store.sql import InsertIgnoringConflicts
from leadstreams.store.tables import mail_opt_outs


def opted_out(connection: Connection, *, user_id: int) -> bool:
    query = select(mail_opt_outs.c.user_id).where(mail_opt_outs.c.user_id == user_id)
    return connection.scalar(query) is not None


def set_opt_out(connection: Connection, *, user_id: int, out: bool, at: datetime) -> None:
    if out:
        connection.execute(InsertIgnoringConflicts(mail_opt_outs).values(user_id=user_id, at=at))
    else:
        connection.execute(delete(mail_opt_outs).where(mail_opt_outs.c.user_id == user_id))

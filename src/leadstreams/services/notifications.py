"""A user's own e-mail preference (product spec, section 4a: each user can opt out)."""

from __future__ import annotations

from leadstreams.schemas.delivery import MailPreference
from leadstreams.services.context import Context
from leadstreams.store import mail_prefs


def preference(ctx: Context, *, user_id: int) -> MailPreference:
    with ctx.uow(read_only=True) as uow:
        return MailPreference(email=not mail_prefs.opted_out(uow.connection, user_id=user_id))


def set_preference(ctx: Context, *, user_id: int, data: MailPreference) -> MailPreference:
    with ctx.uow() as uow:
        mail_prefs.set_opt_out(
            uow.connection, user_id=user_id, out=not data.email, at=uow.clock.now()
        )
        uow.commit()
    return data

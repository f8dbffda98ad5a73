"""`leadstreams init`, `leadstreams users ...`, `leadstreams teams ...`: setting up and admin."""

from __future__ import annotations

import click

from leadstreams.bootstrap import init_database
from leadstreams.cli._common import database_url_option, echo_table, open_context, shown_url
from leadstreams.domain.contacts import normalise_email
from leadstreams.domain.roles import Role
from leadstreams.schemas.users import TeamCreate, UserCreate
from leadstreams.services import users
from leadstreams.services.context import Context


@click.command()
@click.option("--admin-email", metavar="EMAIL", help="Create this admin unless a user has it.")
@click.option(
    "--admin-password",
    metavar="PASSWORD",
    help="The admin's password (8 characters or more); asked for when left out.",
)
@click.option("--admin-name", default="Administrator", show_default=True, help="The admin's name.")
@database_url_option
def init(admin_email: str | None, admin_password: str | None, admin_name: str) -> None:
    """Create or upgrade the database, and create the first admin.

    Safe to run again: migrations run only when the schema is behind, and an existing user
    with the admin's e-mail is left as it is.

    \b
    Example:
      leadstreams init --admin-email admin@example.com --admin-password 'correct horse'
    """
    if admin_password and not admin_email:
        raise click.UsageError("--admin-password needs --admin-email")
    ctx = open_context()
    init_database(ctx)
    click.echo(f"Database ready: {shown_url(ctx.settings.database_url)} (schema up to date).")
    if admin_email:
        password = admin_password or click.prompt(
            "Admin password", hide_input=True, confirmation_prompt=True
        )
        _ensure_admin(ctx, email=admin_email, password=password, name=admin_name)


def _ensure_admin(ctx: Context, *, email: str, password: str, name: str) -> None:
    email = normalise_email(email)
    existing = [user for user in users.list_users(ctx) if user.email == email]
    if existing:
        role = existing[0].role
        click.echo(f"User {email} exists already ({role}): left as it is.")
        return
    data = UserCreate(email=email, name=name, role=Role.ADMIN, password=password)
    user = users.create_user(ctx, data=data)
    click.echo(f"Created admin {user.email} (user {user.id}).")


@click.group("users")
@database_url_option
def users_group() -> None:
    """Users: admins, marketing and sales.

    \b
    Examples:
      leadstreams users create --email sara@example.com --name 'Sara Nilsson' \\
          --role sales --team-id 1
      leadstreams users list
    """


@users_group.command("create")
@click.option("--email", required=True, help="The login e-mail.")
@click.option("--name", required=True, help="The name shown to colleagues.")
@click.option("--role", required=True, type=click.Choice([str(role) for role in Role]))
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="8 characters or more; asked for when left out.",
)
@click.option(
    "--team-id", "team_ids", type=int, multiple=True, help="A sales team to join (repeatable)."
)
@database_url_option
def create_user(email: str, name: str, role: str, password: str, team_ids: tuple[int, ...]) -> None:
    """Create a user. Only sales users join sales teams.

    \b
    Example:
      leadstreams users create --email olof@example.com --name 'Olof Berg' --role sales \\
          --team-id 1 --team-id 2 --password 'a long secret'
    """
    body = {"email": normalise_email(email), "name": name, "role": role, "password": password}
    data = UserCreate.model_validate(body | {"team_ids": list(team_ids)})
    user = users.create_user(open_context(), data=data)
    teams = f", teams {', '.join(map(str, user.team_ids))}" if user.team_ids else ""
    click.echo(f"Created user {user.id}: {user.email} ({user.role}{teams}).")


@users_group.command("list")
@database_url_option
def list_users() -> None:
    """List every user with role and teams."""
    columns = [("ID", "id"), ("EMAIL", "email"), ("NAME", "name"), ("ROLE", "role")]
    columns += [("ACTIVE", "active"), ("TEAMS", "team_ids")]
    echo_table([user.model_dump() for user in users.list_users(open_context())], columns)


@click.group("teams")
@database_url_option
def teams_group() -> None:
    """Sales teams, which streams deliver leads to.

    \b
    Examples:
      leadstreams teams create Nordics --member-id 3 --member-id 4
      leadstreams teams list
    """


@teams_group.command("create")
@click.argument("name")
@click.option(
    "--member-id", "member_ids", type=int, multiple=True, help="A sales user (repeatable)."
)
@database_url_option
def create_team(name: str, member_ids: tuple[int, ...]) -> None:
    """Create a sales team named NAME (unique, whatever the case).

    \b
    Example:
      leadstreams teams create 'DACH & Benelux' --member-id 5
    """
    data = TeamCreate.model_validate({"name": name, "member_ids": list(member_ids)})
    team = users.create_team(open_context(), data=data)
    members = ", ".join(map(str, team.member_ids)) or "none yet"
    click.echo(f"Created team {team.id}: {team.name} (members: {members}).")


@teams_group.command("list")
@database_url_option
def list_teams() -> None:
    """List the sales teams and their members' user ids."""
    columns = [("ID", "id"), ("NAME", "name"), ("MEMBERS", "member_ids")]
    echo_table([team.model_dump() for team in users.list_teams(open_context())], columns)

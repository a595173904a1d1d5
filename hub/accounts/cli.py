"""``hub user``, ``hub group``, ``hub grant`` and ``hub revoke``: administration from a shell.

The same commands as the administration API and the admin pages, sent through the
bus as the system actor named after the shell's user, so the history says who did
it and from where. Every command says what it changed, and what it means when that
is not obvious (a user without a password cannot log in; a first grant to a group
makes a queue *managed*). Errors are one line: ``hub.cli`` turns a refused command
into ``Error: ...`` and exit status 1.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from hub.accounts import commands as ac
from hub.accounts import queries as aq
from hub.accounts.model import ROLES
from hub.actors import Actor, system_actor
from hub.clitable import echo_table

if TYPE_CHECKING:
    from hub.bootstrap import Hub

T = TypeVar("T")


def open_hub() -> Hub:
    from hub.bootstrap import bootstrap

    return bootstrap()


def cli_actor() -> Actor:
    return system_actor("cli", os.environ.get("USER") or "cli")


def read_with(hub: Hub, read: Callable[[Any], T]) -> T:
    with hub.engine.connect() as conn:
        return read(conn)


def _user_or_fail(hub: Hub, name: str) -> aq.UserInfo:
    info = read_with(hub, lambda conn: aq.user_by_name(conn, name))
    if info is None:
        raise click.ClickException(f"no user {name!r} (see `hub user list`)")
    return info


def _stdin_password() -> str:
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise click.ClickException("no password on standard input")
    return password


# -- users ----------------------------------------------------------------------------


@click.group("user")
def user_group() -> None:
    """User accounts: add, list, set passwords, disable and enable."""


@user_group.command("add")
@click.argument("name")
@click.option("--email", required=True)
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--display-name", default="", help="full name (default: NAME)")
@click.option("--password-stdin", is_flag=True, help="read the password from standard input")
def user_add(name: str, email: str, role: str, display_name: str,
             password_stdin: bool) -> None:
    """Add a user; without --password-stdin they cannot log in until one is set."""
    password = _stdin_password() if password_stdin else None
    result = open_hub().bus.handle(ac.CreateUser(name=name, email=email, role=role,
                                             display_name=display_name, password=password),
                               cli_actor())
    click.echo(f"created {role} {name} <{result['email']}>")
    if password is None:
        click.echo(f"{name} has no password and cannot log in until one is set: "
                   f"hub user passwd {name}")


@user_group.command("list")
@click.option("--role", type=click.Choice(ROLES), default=None, help="only this role")
@click.option("--json", "as_json", is_flag=True, help="print JSON for scripts")
def user_list(role: str | None, as_json: bool) -> None:
    """Every user with role, source (local or directory), state, email, groups, last login."""

    def read(conn: Any) -> tuple[list[aq.UserInfo], frozenset[str], dict[str, Any],
                                 list[aq.GroupInfo]]:
        return (aq.list_users(conn, roles=[role] if role else None),
                aq.password_holders(conn), aq.last_logins(conn), aq.list_groups(conn))

    hub = open_hub()
    users, with_password, logins, groups = read_with(hub, read)
    factors = read_with(hub, aq.second_factor_states)  # name -> on | pending
    member_of: dict[str, list[str]] = {}
    for group in groups:
        for member in group.members:
            member_of.setdefault(member, []).append(group.name)
    docs = [{"name": u.name, "role": u.role, "source": u.source,
             "state": _state(u, u.name in with_password), "email": u.email,
             "display_name": u.display_name,
             "groups": member_of.get(u.name, []), "last_login": logins.get(u.name),
             "totp": factors.get(u.name, "off")}
            for u in users]
    if as_json:
        click.echo(json.dumps([{**d, "last_login": _iso(d["last_login"])} for d in docs],
                              indent=2))
        return
    echo_table(["name", "role", "source", "state", "totp", "email", "groups", "last login",
                "display name"],
               [[d["name"], d["role"], d["source"], d["state"], d["totp"], d["email"],
                 d["groups"], d["last_login"] or "never", d["display_name"]] for d in docs],
               empty="no users", flexible=["email", "groups", "display name"],
               footer=_user_footer(docs))


def _state(info: aq.UserInfo, has_password: bool) -> str:
    if info.disabled:
        return "disabled"
    return "active" if has_password or info.source == "directory" else "no password"


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat(timespec="seconds") + "Z"


def _user_footer(docs: list[dict[str, Any]]) -> str:
    notes = [f"{sum(d['state'] == s for d in docs)} {s}" for s in ("disabled", "no password")
             if any(d["state"] == s for d in docs)]
    total = f"{len(docs)} user{'s' if len(docs) != 1 else ''}"
    return total + (f" ({', '.join(notes)})" if notes else "")


@user_group.command("passwd")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="read the password from standard input")
def user_passwd(name: str, password_stdin: bool) -> None:
    """Set NAME's password (asked twice on a terminal); ends their sessions and tokens."""
    hub = open_hub()
    _user_or_fail(hub, name)
    if password_stdin:
        password = _stdin_password()
    elif sys.stdin.isatty():
        password = click.prompt(f"New password for {name}", hide_input=True,
                                confirmation_prompt="Repeat the password")
    else:
        raise click.ClickException("standard input is not a terminal: "
                                   "pass the password with --password-stdin")
    tokens = len(read_with(hub, lambda conn: aq.active_tokens(conn, name)))
    hub.bus.handle(ac.SetPassword(name=name, password=password), cli_actor())
    click.echo(f"password of {name} set; their web sessions and {_tokens(tokens)} "
               "were ended")


def _tokens(count: int) -> str:
    return f"{count} API token{'s' if count != 1 else ''}"


@user_group.command("disable")
@click.argument("name")
def user_disable(name: str) -> None:
    """Disable NAME: no login, no API; their sessions and tokens end at once."""
    hub = open_hub()
    if _user_or_fail(hub, name).disabled:
        click.echo(f"{name} is disabled already")
        return
    tokens = len(read_with(hub, lambda conn: aq.active_tokens(conn, name)))
    hub.bus.handle(ac.ChangeUser(name=name, disabled=True), cli_actor())
    click.echo(f"disabled {name}; their web sessions and {_tokens(tokens)} were ended")


@user_group.command("enable")
@click.argument("name")
def user_enable(name: str) -> None:
    """Enable NAME again (tokens ended on disabling stay revoked)."""
    hub = open_hub()
    if not _user_or_fail(hub, name).disabled:
        click.echo(f"{name} is enabled already")
        return
    hub.bus.handle(ac.ChangeUser(name=name, disabled=False), cli_actor())
    click.echo(f"enabled {name}; API tokens ended when disabled stay revoked "
               f"(new one: hub token create NAME --user {name})")
    if not read_with(hub, lambda conn: aq.has_password(conn, name)):
        click.echo(f"{name} has no password and cannot log in until one is set: "
                   f"hub user passwd {name}")


@user_group.command("change")
@click.argument("name")
@click.option("--email", default=None)
@click.option("--role", type=click.Choice(ROLES), default=None)
@click.option("--display-name", default=None)
def user_change(name: str, email: str | None, role: str | None,
                display_name: str | None) -> None:
    """Change NAME's email, role or display name."""
    if email is None and role is None and display_name is None:
        raise click.UsageError("name what to change: --email, --role or --display-name")
    hub = open_hub()
    _user_or_fail(hub, name)
    hub.bus.handle(ac.ChangeUser(name=name, email=email, role=role,
                                 display_name=display_name), cli_actor())
    info = _user_or_fail(hub, name)
    click.echo(f"changed {name}: {info.role} <{info.email}> {info.display_name}")


def commands() -> list[click.Command]:
    from hub.accounts.access_cli import grant_command, group_group, revoke_command
    from hub.accounts.totp_cli import totp_command

    user_group.add_command(totp_command)
    return [user_group, group_group, grant_command, revoke_command]

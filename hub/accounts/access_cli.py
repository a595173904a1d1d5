"""``hub group ...``, ``hub grant ...`` and ``hub revoke ...``: who may do what, per queue.

Rights carry Request Tracker's names and are granted per queue (or on ``*``, every
queue) to ``group:NAME``, ``user:NAME`` or a ticket role (``role:requestors``,
``cc``, ``admincc``, ``owner``). The commands refuse what the API refuses (a
duplicate grant, revoking one that does not exist), so scripts see the same
answers whichever way they come in. Queues appear as their keys (lower case), the
form the grants are stored in; queue names are matched in any case.
"""

from __future__ import annotations

import json
from typing import Any

import click

from hub.accounts import commands as ac
from hub.accounts import queries as aq
from hub.accounts.cli import cli_actor, open_hub, read_with
from hub.clitable import echo_table

# -- groups ---------------------------------------------------------------------------


@click.group("group")
def group_group() -> None:
    """Groups of users, the usual holders of queue rights."""


@group_group.command("add")
@click.argument("name")
@click.option("--description", default="")
def group_add(name: str, description: str) -> None:
    """Add a group (names are lower-case letters, digits and . _ -)."""
    result = open_hub().bus.handle(ac.CreateGroup(name=name, description=description), cli_actor())
    click.echo(f"created group {result['name']}")


@group_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="print JSON for scripts")
def group_list(as_json: bool) -> None:
    """Every group with its members and the rights it holds."""
    groups, grants = read_with(open_hub(), lambda conn: (aq.list_groups(conn), aq.all_grants(conn)))
    held: dict[str, list[str]] = {}
    for grant in grants:
        if grant.principal.startswith("group:"):
            held.setdefault(grant.principal[6:], []).append(
                f"{grant.right_name}@{grant.scope}")
    if as_json:
        click.echo(json.dumps([{"name": g.name, "description": g.description,
                                "members": list(g.members), "rights": held.get(g.name, [])}
                               for g in groups], indent=2))
        return
    echo_table(["group", "members", "rights", "description"],
               [[g.name, list(g.members) or "-", len(held.get(g.name, [])), g.description]
                for g in groups],
               empty="no groups (add one: hub group add NAME)", right=["rights"],
               flexible=["members", "description"],
               footer="rights per queue: hub grant list --to group:NAME" if groups else None)


@group_group.group("member")
def member_group() -> None:
    """Add users to a group or remove them."""


@member_group.command("add")
@click.argument("group")
@click.argument("user")
def member_add(group: str, user: str) -> None:
    """Make USER a member of GROUP."""
    _change_member(group, user, add=True)


@member_group.command("remove")
@click.argument("group")
@click.argument("user")
def member_remove(group: str, user: str) -> None:
    """Take USER out of GROUP."""
    _change_member(group, user, add=False)


def _change_member(group: str, user: str, add: bool) -> None:
    hub = open_hub()
    key = group.strip().lower()
    found = next((g for g in read_with(hub, aq.list_groups) if g.name == key), None)
    if found is None:
        raise click.ClickException(f"no group {group!r} (see `hub group list`)")
    if read_with(hub, lambda conn: aq.user_by_name(conn, user)) is None:
        raise click.ClickException(f"no user {user!r} (see `hub user list`)")
    if add == (user in found.members):
        click.echo(f"{user} is {'already' if add else 'not'} a member of {key}")
        return
    hub.bus.handle(ac.ChangeGroupMember(group=key, user=user, add=add), cli_actor())
    click.echo(f"{'added' if add else 'removed'} {user} {'to' if add else 'from'} {key}")


# -- grants ---------------------------------------------------------------------------


def _right(name: str) -> str:
    """The right's canonical name (any case is accepted), or a one-line error listing them."""
    canonical = {r.lower(): r for r in aq.QUEUE_RIGHTS}.get(name.strip().lower())
    if canonical is None:
        raise click.ClickException(f"unknown right {name!r}; rights are "
                                   + ", ".join(aq.QUEUE_RIGHTS))
    return canonical


def _exists(grants: list[aq.GrantInfo], principal: str, right: str) -> bool:
    return any(g.principal == principal and g.right_name == right for g in grants)


def _rights(names: tuple[str, ...], usage: str) -> list[str]:
    if not names:
        raise click.UsageError(usage)
    return list(dict.fromkeys(_right(n) for n in names))


@click.command("grant")
@click.argument("rights", nargs=-1, metavar="RIGHT...")
@click.option("--queue", "queue", default=None, help="queue name, or '*' for every queue")
@click.option("--to", "principal", default=None,
              help="group:NAME, user:NAME or role:requestors|cc|admincc|owner")
@click.option("--json", "as_json", is_flag=True, help="with `list`: print JSON")
def grant_command(rights: tuple[str, ...], queue: str | None, principal: str | None,
                  as_json: bool) -> None:
    """Grant RIGHT (one or more) on a queue; `hub grant list [--queue Q] [--to P]` lists.

    A queue with a grant to a group or user is managed: staff there hold only
    what they were granted. A right already held is refused and nothing is granted.
    """
    if rights == ("list",):
        _list_grants(queue, principal, as_json)
        return
    usage = "hub grant RIGHT... --queue QUEUE --to PRINCIPAL"
    if not queue or not principal:
        raise click.UsageError(usage)
    wanted, scope = _rights(rights, usage), queue.strip().lower()
    hub = open_hub()
    before = read_with(hub, lambda conn: aq.grants_in(conn, [scope]))
    held = [r for r in wanted if _exists(before, principal, r)]
    if held:
        raise click.ClickException(f"{principal} already holds {', '.join(held)} on {queue}"
                                   + ("; nothing granted" if len(wanted) > 1 else ""))
    for right in wanted:
        hub.bus.handle(ac.GrantRight(scope=queue, principal=principal, right=right),
                       cli_actor())
        click.echo(f"granted {right} on {queue} to {principal}")
    personal = ("group:", "user:")
    if (scope != aq.GLOBAL and principal.startswith(personal)
            and not any(g.principal.startswith(personal) for g in before)):
        click.echo(f"{queue} is now managed: staff there hold only the rights granted "
                   "to them or their groups")


@click.command("revoke")
@click.argument("rights", nargs=-1, metavar="RIGHT...")
@click.option("--queue", "queue", required=True, help="queue name, or '*' for every queue")
@click.option("--to", "principal", required=True,
              help="group:NAME, user:NAME or role:requestors|cc|admincc|owner")
def revoke_command(rights: tuple[str, ...], queue: str, principal: str) -> None:
    """Take RIGHT (one or more) on a queue away from a group, user or ticket role."""
    wanted = _rights(rights, "hub revoke RIGHT... --queue QUEUE --to PRINCIPAL")
    scope = queue.strip().lower()
    hub = open_hub()
    grants = read_with(hub, lambda conn: aq.grants_in(conn, [scope]))
    missing = [r for r in wanted if not _exists(grants, principal, r)]
    if missing:
        raise click.ClickException(f"{principal} holds no {', '.join(missing)} on {queue} "
                                   "(see `hub grant list`)"
                                   + ("; nothing revoked" if len(wanted) > 1 else ""))
    for right in wanted:
        hub.bus.handle(ac.RevokeRight(scope=queue, principal=principal, right=right),
                       cli_actor())
        click.echo(f"revoked {right} on {queue} from {principal}")


def _list_grants(queue: str | None, principal: str | None, as_json: bool) -> None:
    grants = [g for g in read_with(open_hub(), aq.all_grants)
              if (queue is None or g.scope == queue.strip().lower())
              and (principal is None or g.principal == principal.strip())]
    if as_json:
        click.echo(json.dumps([{"right": g.right_name, "queue": g.scope, "to": g.principal}
                               for g in grants], indent=2))
        return
    rows: dict[tuple[str, str], list[str]] = {}
    for g in grants:
        rows.setdefault((g.scope, g.principal), []).append(g.right_name)
    order = {r: i for i, r in enumerate(aq.QUEUE_RIGHTS)}
    table: list[list[Any]] = [[scope, who, sorted(rights, key=order.__getitem__)]
                              for (scope, who), rights in rows.items()]
    echo_table(["queue", "to", "rights"], table, flexible=["rights"],
               empty="no grants: the default rights apply (staff hold every ticket right "
                     "but DeleteTicket)",
               footer=f"{len(grants)} grant{'s' if len(grants) != 1 else ''}"
                      if grants else None)

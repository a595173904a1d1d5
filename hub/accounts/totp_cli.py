"""``hub user totp NAME``: enrol, confirm, inspect or remove a TOTP second factor.

Enrolling prints the ``otpauth://`` URI, the key and ten recovery codes once, on
standard output only (never logged, never in an event). The factor is pending until
a first code confirms it, asked for at once on a terminal or given later with
``--confirm CODE``: an enrolment nobody confirms changes nothing at sign-in.
``--remove`` is the administrator's recovery path for a lost phone.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from hub.accounts import commands as ac
from hub.accounts import queries as aq
from hub.accounts.cli import _user_or_fail, cli_actor, open_hub, read_with
from hub.domain import ValidationError

if TYPE_CHECKING:
    from hub.bootstrap import Hub


@click.command("totp")
@click.argument("name")
@click.option("--confirm", "confirm_code", metavar="CODE", default=None,
              help="confirm a pending enrolment with the code the app shows now")
@click.option("--remove", is_flag=True, help="remove NAME's second factor (lost phone)")
@click.option("--status", is_flag=True, help="say whether NAME has a second factor")
def totp_command(name: str, confirm_code: str | None, remove: bool, status: bool) -> None:
    """Enrol NAME in a TOTP second factor (RFC 6238): prints the otpauth:// URI once."""
    if sum((confirm_code is not None, remove, status)) > 1:
        raise click.UsageError("choose one of --confirm, --remove and --status")
    hub = open_hub()
    _user_or_fail(hub, name)
    if status:
        _print_status(hub, name)
    elif remove:
        hub.bus.handle(ac.RemoveSecondFactor(name=name), cli_actor())
        click.echo(f"removed the second factor of {name}; they sign in with the password "
                   "alone" + _required_note(hub, name))
    elif confirm_code is not None:
        _confirm(hub, name, confirm_code)
    else:
        _enrol(hub, name)


def _enrol(hub: Hub, name: str) -> None:
    setup = hub.bus.handle(ac.StartTotpEnrolment(name=name), cli_actor())
    click.echo(f"TOTP second factor for {name} on {setup['issuer']} "
               "(pending until a first code confirms it)\n")
    click.echo(f"  {setup['uri']}\n")
    click.echo("Add it to an authenticator app: open that URI on the phone, make a QR "
               "code of it\n(e.g. qrencode -t ansiutf8 'URI'), or type the key by hand "
               "(time-based, SHA1,\n6 digits, 30 seconds):\n")
    click.echo(f"  key: {setup['secret_grouped']}\n")
    click.echo("Recovery codes, each good for one sign-in without the phone "
               "(shown only now):\n")
    codes = list(setup["recovery_codes"])
    for i in range(0, len(codes), 2):
        click.echo("  " + "   ".join(codes[i:i + 2]))
    click.echo("")
    if setup["replaces"]:
        click.echo(f"{name}'s current second factor keeps working until this one is "
                   "confirmed.")
    if sys.stdin.isatty():
        code = click.prompt("Code from the app (Enter to confirm later)", default="",
                            show_default=False)
        if code.strip():
            _confirm(hub, name, code)
            return
    click.echo(f"Not active yet: confirm with `hub user totp {name} --confirm CODE`; "
               f"until then {name} signs in as before.")


def _confirm(hub: Hub, name: str, code: str) -> None:
    try:
        result = hub.bus.handle(ac.ConfirmTotpEnrolment(name=name, code=code), cli_actor())
    except ValidationError as exc:
        raise click.ClickException(f"{exc.message}; the enrolment stays pending") from exc
    click.echo(f"second factor of {name} is on: every sign-in now asks for a code "
               f"({result['recovery_codes_left']} recovery codes)")


def _print_status(hub: Hub, name: str) -> None:
    info = read_with(hub, lambda conn: aq.second_factor(conn, name))
    if info.enrolled and info.since is not None:
        click.echo(f"{name}: TOTP on since {info.since:%Y-%m-%d %H:%M} UTC, "
                   f"{info.recovery_codes_left} recovery codes left")
    if info.pending_since is not None:
        click.echo(f"{name}: a TOTP enrolment is pending since "
                   f"{info.pending_since:%Y-%m-%d %H:%M} UTC "
                   f"(confirm: hub user totp {name} --confirm CODE)")
    if info.state == "off":
        click.echo(f"{name}: no second factor" + _required_note(hub, name))


def _required_note(hub: Hub, name: str) -> str:
    info = _user_or_fail(hub, name)
    if hub.settings.require_totp_for_staff and info.is_staff:
        return ("; staff need one here (HUB_REQUIRE_TOTP_FOR_STAFF), so they set one up "
                "at their next sign-in")
    return ""

"""One-line errors for the ``hub`` command line, and the port check of ``hub serve``.

A person at a shell can act on "the database is unreachable" or "the port is in
use"; thirty lines of traceback from inside a driver or the web server only hide
that. :class:`HubCommands` is the class of the top-level ``hub`` group, so every
command, features' included, gets the same treatment.
"""

from __future__ import annotations

import errno
import socket
from typing import Any

import click
import sqlalchemy as sa

from hub.domain import DomainError


def _domain_message(exc: DomainError) -> str:
    allowed = exc.details.get("allowed")
    if isinstance(allowed, list | tuple) and allowed:
        return f"{exc.message}; allowed: {', '.join(map(str, allowed))}"
    return exc.message


def _database_message(exc: sa.exc.DBAPIError) -> str:
    """One line naming the database (password hidden) and what its driver said."""
    said = " ".join(str(exc.orig).split()) or type(exc.orig).__name__
    try:
        from hub.config import load_settings

        url = sa.engine.make_url(load_settings().sqlalchemy_url)
        where = url.render_as_string(hide_password=True)
    except Exception:  # the message must not fail on a second error
        where = "the database"
    if _not_set_up(exc):
        return f"{where} is not set up ({said}): run `hub init`"
    return f"cannot use {where}: {said}"


def _not_set_up(exc: sa.exc.DBAPIError) -> bool:
    """SQLite's "no such table" or PostgreSQL's undefined table: never migrated."""
    said = str(exc.orig)
    return "no such table" in said or type(exc.orig).__name__ == "UndefinedTable"


class HubCommands(click.Group):
    """The ``hub`` group: errors a person can act on end as one line, never a traceback.

    A refused command, a bad configuration, an unreachable database or a port in
    use print ``Error: ...`` on standard error and exit with status 1; anything
    else is a bug and keeps its traceback.
    """

    def invoke(self, ctx: click.Context) -> Any:
        from hub.config import ConfigError

        try:
            return super().invoke(ctx)
        except DomainError as exc:
            raise click.ClickException(_domain_message(exc)) from exc
        except ConfigError as exc:
            raise click.ClickException(f"configuration: {exc}") from exc
        except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
            raise click.ClickException(_database_message(exc)) from exc
        except sa.exc.ProgrammingError as exc:
            if not _not_set_up(exc):
                raise
            raise click.ClickException(_database_message(exc)) from exc
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
            raise click.ClickException(f"address already in use: {exc}") from exc


def ensure_bindable(bind: str, option: str) -> None:
    """Fail with one line when ``hub serve`` could not listen on ``bind`` (HOST:PORT).

    Checked before anything starts, so a second ``hub serve`` on a taken port says
    so instead of a traceback from deep inside the web server.
    """
    host, _, port_text = bind.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise click.ClickException(f"{option} wants HOST:PORT, got {bind!r}")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, int(port_text)))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise click.ClickException(
                    f"{host}:{port_text} is already in use (another hub serve?); "
                    f"stop it or choose another address with {option} HOST:PORT") from exc
            if exc.errno == errno.EACCES:
                raise click.ClickException(
                    f"{host}:{port_text}: permission denied (ports below 1024 need root); "
                    f"choose another with {option} HOST:PORT") from exc
            raise click.ClickException(f"cannot listen on {host}:{port_text}: "
                                       f"{exc.strerror or exc}") from exc

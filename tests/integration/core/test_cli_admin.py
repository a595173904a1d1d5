"""Administration on the command line: users, groups and grants, as tables, errors in one line.

Most commands run in-process through click's runner against a real data directory
(the same database a ``hub serve`` would use); what needs a real process (a
terminal for the password prompt) runs as ``python -m hub.cli``.
"""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hub_support import make_hub, make_token

from hub.accounts import queries as aq
from hub.bootstrap import Hub
from hub.cli import main
from hub.db import writing


@pytest.fixture
def shell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Hub]:
    """An initialised hub whose data directory the in-process CLI uses too."""
    for key in [k for k in os.environ if k.startswith("HUB_")]:
        monkeypatch.delenv(key)
    for key, value in {"HUB_DATA_DIR": str(tmp_path / "var"), "HUB_SECRET_KEY": "test-secret",
                       "HUB_MAIL_DOMAIN": "hub.test", "USER": "ops-person"}.items():
        monkeypatch.setenv(key, value)
    hub = make_hub(tmp_path)
    yield hub
    hub.engine.dispose()


def run(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=stdin)


def ok(*args: str, stdin: str | None = None) -> str:
    result = run(*args, stdin=stdin)
    assert result.exit_code == 0, (args, result.output)
    return result.stdout


def refused(*args: str, stdin: str | None = None) -> str:
    """The one line a refused command prints on standard error (exit status 1)."""
    result = run(*args, stdin=stdin)
    assert result.exit_code == 1, (args, result.output)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert "Traceback" not in result.output
    return lines[0]


def table(output: str, footer: int = 1) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a table (``footer`` lines follow it), cut at the header's
    column starts."""
    lines = output.rstrip("\n").splitlines()
    lines = lines[:len(lines) - footer]
    header = lines[0]
    starts = [i for i, c in enumerate(header)
              if c != " " and (i == 0 or header[i - 2:i] == "  ")]  # two blanks before

    def cut(line: str) -> list[str]:
        ends = [*starts[1:], None]
        return [line[a:b].strip() for a, b in zip(starts, ends, strict=True)]
    rows = [cut(line) for line in lines[1:]]
    return cut(header), rows


def password_ok(hub: Hub, name: str, password: str) -> bool:
    with hub.engine.connect() as conn:
        return aq.authenticate_password(conn, name, password) is not None


def token_ok(hub: Hub, token: str) -> bool:
    with hub.engine.connect() as conn:
        return aq.actor_for_token(conn, token) is not None


# -- users ----------------------------------------------------------------------------


def test_a_user_added_without_a_password_is_told_how_to_get_one(shell: Hub) -> None:
    out = ok("user", "add", "sam", "--email", "Sam@Example.com", "--role", "staff")
    assert "created staff sam <sam@example.com>" in out
    assert "cannot log in" in out and "hub user passwd sam" in out
    assert not password_ok(shell, "sam", "")
    with_pw = ok("user", "add", "kim", "--email", "kim@example.com", "--role", "customer",
                 "--display-name", "Kim Kelly", "--password-stdin", stdin="kim-password\n")
    assert "cannot log in" not in with_pw and "kim-password" not in with_pw
    assert password_ok(shell, "kim", "kim-password")
    assert "already exists" in refused("user", "add", "sam", "--email", "s@example.com",
                                       "--role", "staff")
    assert "not an email address" in refused("user", "add", "eve", "--email", "nope",
                                             "--role", "staff")
    assert "no password on standard input" in refused(
        "user", "add", "ann", "--email", "a@example.com", "--role", "staff",
        "--password-stdin", stdin="\n")


def test_user_list_is_a_table_with_state_groups_and_last_login(shell: Hub) -> None:
    ok("user", "add", "sam", "--email", "sam@example.com", "--role", "staff")
    ok("user", "add", "kim", "--email", "kim@example.com", "--role", "customer",
       "--password-stdin", stdin="kim-password\n")
    ok("group", "add", "netops")
    ok("group", "member", "add", "netops", "sam")
    with writing(shell.engine) as conn:
        from hub.accounts import commands as ac

        ac.open_session(conn, "kim")  # kim logged in on the web
    out = ok("user", "list")
    header, rows = table(out)
    assert header == ["NAME", "ROLE", "SOURCE", "STATE", "TOTP", "EMAIL", "GROUPS",
                      "LAST LOGIN", "DISPLAY NAME"]
    by_name = {r[0]: r for r in rows}
    assert set(by_name) == {"admin", "kim", "sam"}
    assert by_name["sam"][1:7] == ["staff", "local", "no password", "off", "sam@example.com",
                                   "netops"]
    assert by_name["sam"][7] == "never" and by_name["kim"][7][:2] == "20"
    assert by_name["kim"][3] == "active"
    assert out.rstrip().splitlines()[-1] == "3 users (1 no password)"
    customers = table(ok("user", "list", "--role", "customer"))[1]
    assert [r[0] for r in customers] == ["kim"]
    docs = {d["name"]: d for d in json.loads(ok("user", "list", "--json"))}
    assert docs["sam"]["groups"] == ["netops"] and docs["sam"]["state"] == "no password"
    assert docs["sam"]["totp"] == "off"
    assert docs["kim"]["last_login"].endswith("Z") and docs["admin"]["last_login"] is None


def test_passwd_from_stdin_ends_sessions_and_tokens_and_refuses_without_a_terminal(
        shell: Hub) -> None:
    ok("user", "add", "sam", "--email", "sam@example.com", "--role", "staff")
    token = make_token(shell, "sam")
    assert token_ok(shell, token)
    out = ok("user", "passwd", "sam", "--password-stdin", stdin="first-password\n")
    assert "password of sam set" in out and "1 API token" in out
    assert password_ok(shell, "sam", "first-password") and not token_ok(shell, token)
    assert "--password-stdin" in refused("user", "passwd", "sam")  # stdin is no terminal
    assert "at least 8" in refused("user", "passwd", "sam", "--password-stdin",
                                   stdin="short\n")
    assert password_ok(shell, "sam", "first-password")
    assert "no user 'ghost'" in refused("user", "passwd", "ghost", "--password-stdin",
                                        stdin="whatever-1\n")


def test_passwd_on_a_terminal_asks_twice(shell: Hub) -> None:
    ok("user", "add", "sam", "--email", "sam@example.com", "--role", "staff")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(HUB_DATA_DIR=str(shell.settings.data_dir), HUB_SECRET_KEY="test-secret",
               HUB_MAIL_DOMAIN="hub.test")
    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "hub.cli", "user", "passwd", "sam"],
                            stdin=follower, stdout=follower, stderr=follower, env=env)
    os.close(follower)
    seen = b""
    try:
        for prompt in (b"New password for sam", b"Repeat the password"):
            deadline = time.monotonic() + 120
            while prompt not in seen and time.monotonic() < deadline:
                seen += os.read(leader, 1024)
            assert prompt in seen, seen
            os.write(leader, b"typed-on-a-tty\n")
        assert proc.wait(120) == 0, seen
        while True:  # what is left of the output (EOF raises OSError on Linux ptys)
            try:
                chunk = os.read(leader, 1024)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    finally:
        os.close(leader)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert b"typed-on-a-tty" not in seen  # not echoed
    assert b"password of sam set" in seen
    assert password_ok(shell, "sam", "typed-on-a-tty")


def test_disable_ends_tokens_at_once_and_enable_says_what_stays_revoked(shell: Hub) -> None:
    ok("user", "add", "sam", "--email", "sam@example.com", "--role", "staff",
       "--password-stdin", stdin="sam-password\n")
    token = make_token(shell, "sam")
    out = ok("user", "disable", "sam")
    assert "disabled sam" in out and "1 API token" in out
    assert not token_ok(shell, token) and not password_ok(shell, "sam", "sam-password")
    assert "disabled already" in ok("user", "disable", "sam")
    assert {r[0]: r[3] for r in table(ok("user", "list"))[1]}["sam"] == "disabled"
    out = ok("user", "enable", "sam")
    assert "enabled sam" in out and "stay revoked" in out
    assert password_ok(shell, "sam", "sam-password") and not token_ok(shell, token)
    assert "enabled already" in ok("user", "enable", "sam")
    assert "no user 'ghost'" in refused("user", "disable", "ghost")


def test_change_sets_email_role_and_display_name(shell: Hub) -> None:
    ok("user", "add", "sam", "--email", "sam@example.com", "--role", "staff")
    out = ok("user", "change", "sam", "--role", "admin", "--email", "S@Other.example",
             "--display-name", "Sam Smith")
    assert "admin <s@other.example> Sam Smith" in out
    assert run("user", "change", "sam").exit_code == 2  # nothing named: usage error
    assert "not an email address" in refused("user", "change", "sam", "--email", "x")


# -- groups and grants ------------------------------------------------------------------


def test_groups_and_members(shell: Hub) -> None:
    ok("user", "add", "sam", "--email", "sam@example.com", "--role", "staff")
    assert ok("group", "add", "NetOps", "--description", "Network team") == \
        "created group netops\n"
    assert "already exists" in refused("group", "add", "netops")
    assert "lower-case" in refused("group", "add", "bad name!")
    assert ok("group", "member", "add", "netops", "sam") == "added sam to netops\n"
    assert "already a member" in ok("group", "member", "add", "netops", "sam")
    assert "no user 'ghost'" in refused("group", "member", "add", "netops", "ghost")
    assert "no group 'dba'" in refused("group", "member", "add", "dba", "sam")
    header, rows = table(ok("group", "list"))
    assert header == ["GROUP", "MEMBERS", "RIGHTS", "DESCRIPTION"]
    assert rows == [["netops", "sam", "0", "Network team"]]
    assert ok("group", "member", "remove", "netops", "sam") == "removed sam from netops\n"
    assert "not a member" in ok("group", "member", "remove", "netops", "sam")
    assert json.loads(ok("group", "list", "--json")) == [
        {"name": "netops", "description": "Network team", "members": [], "rights": []}]


def test_grant_and_revoke_change_what_staff_may_see(shell: Hub) -> None:
    from hub.accounts.queries import actor_for_name
    from hub.actors import system_actor
    from hub.tickets import commands as tc
    from hub.tickets import queries as tq

    for name in ("sam", "pat"):
        ok("user", "add", name, "--email", f"{name}@example.com", "--role", "staff")
    shell.bus.handle(tc.CreateQueue(name="Network"), system_actor("cli"))
    ticket = shell.bus.handle(tc.CreateTicket(queue="Network", subject="core switch"),
                              system_actor("cli"))["id"]
    ok("group", "add", "netops")
    ok("group", "member", "add", "netops", "sam")
    assert "no grants" in ok("grant", "list")
    out = ok("grant", "showticket", "--queue", "Network", "--to", "group:netops")
    assert out.splitlines()[0] == "granted ShowTicket on Network to group:netops"
    assert "Network is now managed" in out

    with shell.engine.connect() as conn:
        pat = actor_for_name(conn, "pat", "cli")
        sam = actor_for_name(conn, "sam", "cli")
        assert pat is not None and sam is not None
        assert tq.visible_ids(conn, sam, [ticket]) == {ticket}
        assert tq.visible_ids(conn, pat, [ticket]) == set()  # outside the group
    assert "already holds ShowTicket" in refused("grant", "ShowTicket", "--queue", "network",
                                                 "--to", "group:netops")
    unknown = refused("grant", "Fly", "--queue", "Network", "--to", "group:netops")
    assert "unknown right 'Fly'" in unknown and "AdminQueue" in unknown
    assert "queue Nope not found" in refused("grant", "ShowTicket", "--queue", "Nope",
                                             "--to", "group:netops")
    assert "group:NAME" in refused("grant", "ShowTicket", "--queue", "Network", "--to", "x")
    assert "unknown group" in refused("grant", "ShowTicket", "--queue", "Network",
                                      "--to", "group:nobody")
    both = refused("grant", "OwnTicket", "ShowTicket", "--queue", "Network", "--to",
                   "group:netops")
    assert "already holds ShowTicket" in both and "nothing granted" in both
    out = ok("grant", "ModifyTicket", "ownticket", "--queue", "Network", "--to", "group:netops")
    assert out.splitlines() == ["granted ModifyTicket on Network to group:netops",
                                "granted OwnTicket on Network to group:netops"]
    ok("grant", "SeeQueue", "--queue", "*", "--to", "role:cc")
    header, rows = table(ok("grant", "list"))
    assert header == ["QUEUE", "TO", "RIGHTS"]
    assert rows == [["*", "role:cc", "SeeQueue"],
                    ["network", "group:netops", "ShowTicket, ModifyTicket, OwnTicket"]]
    listed = json.loads(ok("grant", "list", "--queue", "Network", "--json"))
    assert {g["right"] for g in listed} == {"ShowTicket", "ModifyTicket", "OwnTicket"}
    assert {g["to"] for g in listed} == {"group:netops"}
    assert table(ok("group", "list"))[1] == [["netops", "sam", "3", ""]]
    assert ok("revoke", "ShowTicket", "--queue", "Network", "--to", "group:netops") == \
        "revoked ShowTicket on Network from group:netops\n"
    assert "holds no ShowTicket" in refused("revoke", "ShowTicket", "--queue", "Network",
                                            "--to", "group:netops")
    with shell.engine.connect() as conn:
        sam = actor_for_name(conn, "sam", "cli")
        assert sam is not None
        assert tq.visible_ids(conn, sam, [ticket]) == set()  # still managed, no ShowTicket
    assert ok("revoke", "ModifyTicket", "OwnTicket", "--queue", "Network", "--to",
              "group:netops").count("revoked") == 2
    with shell.engine.connect() as conn:
        pat = actor_for_name(conn, "pat", "cli")
        assert pat is not None
        assert tq.visible_ids(conn, pat, [ticket]) == {ticket}  # no longer managed
    assert run("grant", "ShowTicket").exit_code == 2  # --queue and --to missing: usage


def test_other_lists_are_tables_too_and_say_when_they_are_empty(shell: Hub) -> None:
    assert ok("reactors", "failures") == "no parked reactions\n0 parked\n"
    assert ok("mail", "list") == "no inbound mail\n"
    assert ok("runbooks", "leases") == "no leases\n"
    token = ok("runbooks", "lock", "lb:web/web2", "--holder", "kim: kernel update").strip()
    header, rows = table(ok("runbooks", "leases"), footer=0)
    assert header == ["RESOURCE", "STATE", "TOKEN", "HOLDER", "RUN", "UNTIL"]
    [row] = rows
    assert row[:5] == ["lb:web/web2", "held", token, "kim: kernel update (by hand)", "by hand"]
    assert row[5][:2] == "20" and row[5].count(":") == 1  # local time, to the minute


def test_inbound_mail_results_read_as_words() -> None:
    from hub.mail.cli import _outcome, _sender

    assert _outcome({"action": "created", "ticket_id": 12}) == "created #12"
    assert _outcome({"action": "ignored", "reason": "our own mail came back"}) == \
        "ignored: our own mail came back"
    assert _outcome({"action": "admin_queue", "ticket_id": 5, "for_ticket": 3}) == \
        "admin_queue #5 for_ticket=3"
    assert _outcome("SMTP said\n 550 no") == "SMTP said 550 no"
    assert _sender("") == "<> (null sender)" and _sender("a@b.example") == "a@b.example"

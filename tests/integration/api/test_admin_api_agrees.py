"""The administration API's remaining refusals, and its agreement with the CLI.

CONTRACT.md: administration is "the same through the API, the CLI and admin
pages". Here a running ``hub serve`` and the ``hub`` command work on one data
directory: what one side does, the other sees at once, in the same words.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pytest
from admin_support import Admin, running
from click.testing import CliRunner

from hub.cli import main


@pytest.fixture(scope="module")
def admin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Admin]:
    with running(tmp_path_factory.mktemp("admin-agrees")) as started:
        yield started


@pytest.fixture
def cli(admin: Admin, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    for key in [k for k in os.environ if k.startswith("HUB_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("HUB_DATA_DIR", str(admin.hub.settings.data_dir))
    monkeypatch.setenv("HUB_SECRET_KEY", "test-secret")
    monkeypatch.setenv("HUB_MAIL_DOMAIN", "hub.test")
    return CliRunner()


def shell(cli: CliRunner, *args: str, stdin: str | None = None) -> str:
    result = cli.invoke(main, list(args), input=stdin)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_reading_one_user_is_for_admins_and_the_user_themselves(admin: Admin) -> None:
    staff, customer = admin.user("staff"), admin.user("customer")
    admin.refused("GET", f"/api/v1/users/{staff}", customer, 403)
    admin.refused("GET", f"/api/v1/users/{customer}", staff, 403)
    for who in (staff, customer):  # oneself: with one's contacts, to edit them
        assert admin.call("GET", f"/api/v1/users/{who}", who).status_code == 200
    assert admin.call("GET", f"/api/v1/users/{staff}", None).status_code == 401
    admin.refused("GET", "/api/v1/users/no-such-user", "admin", 404)
    assert admin.ok("GET", f"/api/v1/users/{staff}")["role"] == "staff"


def test_queue_lifecycles_and_members_of_unknown_groups(admin: Admin) -> None:
    lifecycle = {"name": "simple", "initial": ["new"], "active": ["open"],
                 "inactive": ["resolved"],
                 "transitions": {"new": ["open", "resolved"], "open": ["resolved"],
                                 "resolved": ["open"]}}
    made = admin.ok("POST", "/api/v1/queues", status=201,
                    json={"name": "Simple", "lifecycle": lifecycle})
    assert made["lifecycle"] == "simple"
    admin.refused("PATCH", "/api/v1/queues/Simple", "admin", 422,
                  json={"lifecycle": {"name": "broken"}})
    admin.refused("PATCH", "/api/v1/queues/Simple", "admin", 400, json={"lifecycle": "x"})
    user = admin.user("staff")
    admin.refused("DELETE", f"/api/v1/groups/no-such-group/members/{user}", "admin", 404)
    admin.refused("PUT", "/api/v1/groups/ops-x/members/admin", "admin", 404)


def test_what_the_cli_makes_the_api_shows_and_the_other_way_round(admin: Admin,
                                                                  cli: CliRunner) -> None:
    shell(cli, "user", "add", "cliuser", "--email", "cli@example.com", "--role", "staff")
    seen = admin.ok("GET", "/api/v1/users/cliuser")
    assert (seen["role"], seen["has_password"], seen["disabled"]) == ("staff", False, False)
    shell(cli, "group", "add", "cligroup")
    shell(cli, "group", "member", "add", "cligroup", "cliuser")
    assert admin.ok("GET", "/api/v1/users/cliuser")["groups"] == ["cligroup"]
    queue = admin.queue()
    shell(cli, "grant", "ShowTicket", "--queue", queue, "--to", "group:cligroup")
    grants = admin.ok("GET", f"/api/v1/grants?queue={queue}")["grants"]
    assert grants == [{"right": "ShowTicket", "queue": queue, "to": "group:cligroup"}]
    # The API's refusal of a duplicate is the CLI's too.
    admin.refused("POST", "/api/v1/grants", "admin", 409,
                  json={"right": "ShowTicket", "queue": queue, "to": "group:cligroup"})
    again = cli.invoke(main, ["grant", "ShowTicket", "--queue", queue, "--to",
                              "group:cligroup"])
    assert again.exit_code == 1 and "already holds" in again.stderr

    admin.ok("PATCH", "/api/v1/users/cliuser", json={"disabled": True})
    listed = {d["name"]: d for d in json.loads(shell(cli, "user", "list", "--json"))}
    assert listed["cliuser"]["state"] == "disabled"
    shell(cli, "user", "enable", "cliuser")
    shell(cli, "user", "passwd", "cliuser", "--password-stdin", stdin="from-the-shell\n")
    after = admin.ok("GET", "/api/v1/users/cliuser")
    assert (after["disabled"], after["has_password"]) == (False, True)
    shell(cli, "revoke", "ShowTicket", "--queue", queue, "--to", "group:cligroup")
    assert admin.ok("GET", f"/api/v1/grants?queue={queue}")["grants"] == []

"""Group changes in the directory reach sign-ins, live sessions and API tokens; StartTLS
is checked against the test CA; the settings are checked when the hub starts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa
from directory_support import DirectoryDesk
from ldap_support import BASE_DN, NETOPS_GROUP, PASSWORDS, STAFF_GROUP

from hub.accounts import commands as ac
from hub.accounts import queries as aq
from hub.actors import system_actor
from hub.config import load_settings
from hub.db import events
from hub.eventstore import utcnow
from hub.tickets import commands as tc

ALICE = f"uid=alice,ou=people,{BASE_DN}"
LATER = dt.timedelta(seconds=61)


def recheck(desk: DirectoryDesk, after: dt.timedelta = LATER) -> Any:
    """Run the re-check job's work with the clock moved on by ``after``."""
    return desk.hub.services["directory"].recheck(now=utcnow() + after)


def role_of(desk: DirectoryDesk, name: str) -> str:
    with desk.hub.engine.connect() as conn:
        info = aq.user_by_name(conn, name)
    assert info is not None
    return info.role


def other_ticket(desk: DirectoryDesk) -> int:
    return int(desk.hub.bus.handle(tc.CreateTicket(
        queue="General", subject="Router down", body="for staff",
        requestors=["someone@example.net"]), system_actor("cli"))["id"])


def remove_alice_from_staff(desk: DirectoryDesk) -> None:
    desk.slapd.modify(f"dn: {STAFF_GROUP}\nchangetype: modify\ndelete: uniqueMember\n"
                      f"uniqueMember: {ALICE}\n\n"
                      f"dn: {NETOPS_GROUP}\nchangetype: modify\ndelete: member\n"
                      f"member: {ALICE}\n")


def test_a_group_change_takes_effect_at_the_next_sign_in(desk: DirectoryDesk) -> None:
    assert desk.login("bob", PASSWORDS["bob"])[1] == 303
    assert role_of(desk, "bob") == "customer"
    desk.slapd.modify(f"dn: {STAFF_GROUP}\nchangetype: modify\nadd: uniqueMember\n"
                      f"uniqueMember: uid=bob,ou=people,{BASE_DN}\n")
    client, status, _ = desk.login("bob", PASSWORDS["bob"])
    assert status == 303 and role_of(desk, "bob") == "staff"
    assert client.get("/alerts").status_code == 200
    with desk.hub.engine.connect() as conn:
        last = conn.execute(sa.select(events.c.type, events.c.data, events.c.meta)
                            .where(events.c.stream_id == "user-bob")
                            .order_by(events.c.position.desc()).limit(1)).one()
    assert last.type == "UserChanged" and last.data["changes"] == {"role": "staff"}
    assert last.meta["source"] == "directory"


def test_removal_from_staff_reaches_a_live_session_and_a_token_within_the_interval(
        desk: DirectoryDesk) -> None:
    client, status, _ = desk.login("alice", PASSWORDS["alice"])
    assert status == 303
    token = desk.hub.bus.handle(ac.CreateToken(user="alice", name="laptop"),
                                system_actor("cli"))["token"]
    ticket = other_ticket(desk)
    api = desk.app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert api.get(f"/api/v1/tickets/{ticket}", headers=headers).status_code == 200
    remove_alice_from_staff(desk)
    # Checked at sign-in a moment ago: not due yet, so nothing is read or changed.
    early = recheck(desk, dt.timedelta(seconds=5))
    assert early.checked == 0 and role_of(desk, "alice") == "staff"
    report = recheck(desk)
    assert report.checked == 1 and set(report.changed["alice"]) == {"role", "group:netops"}
    assert role_of(desk, "alice") == "customer"
    assert client.get("/alerts").status_code == 302  # the staff session is over
    assert api.get(f"/api/v1/tickets/{ticket}", headers=headers).status_code in (403, 404)
    with desk.hub.engine.connect() as conn:
        assert "alice" not in next(g for g in aq.list_groups(conn) if g.name == "netops").members
    # Checked again just now: the next run leaves her alone.
    assert recheck(desk, dt.timedelta(seconds=1)).checked == 0


def test_a_user_gone_from_the_directory_loses_sessions_and_tokens(
        desk: DirectoryDesk) -> None:
    client, status, _ = desk.login("bob", PASSWORDS["bob"])
    assert status == 303
    token = desk.hub.bus.handle(ac.CreateToken(user="bob", name="script"),
                                system_actor("cli"))["token"]
    api = desk.app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/v1/tickets", headers=headers).status_code == 200
    desk.slapd.modify(f"dn: uid=bob,ou=people,{BASE_DN}\nchangetype: delete\n")
    report = recheck(desk)
    assert report.gone == ["bob"]
    assert api.get("/api/v1/tickets", headers=headers).status_code == 401
    assert client.get("/").status_code == 302
    assert desk.login("bob", PASSWORDS["bob"])[1] == 401
    with desk.hub.engine.connect() as conn:
        assert aq.active_tokens(conn, "bob") == []


def test_while_the_directory_is_down_the_recheck_changes_nothing(desk: DirectoryDesk) -> None:
    client, status, _ = desk.login("alice", PASSWORDS["alice"])
    assert status == 303
    desk.slapd.stop()
    report = recheck(desk)
    assert report.unavailable and report.checked == 0
    assert client.get("/alerts").status_code == 200
    desk.slapd.start()


def test_the_scheduler_runs_the_recheck(desk: DirectoryDesk) -> None:
    from hub.scheduler import build_scheduler

    scheduler = build_scheduler(desk.hub)
    job = scheduler.get_job("directory-recheck")
    assert job is not None and job.trigger.interval == dt.timedelta(seconds=30)


def test_starttls_with_the_ca_signs_in_and_without_it_is_refused(
        desk_factory: Any, caplog: pytest.LogCaptureFixture) -> None:
    first = desk_factory(HUB_LDAP_STARTTLS="1")
    ca = str(first.slapd.ca_file)
    trusted = desk_factory(HUB_LDAP_STARTTLS="1", HUB_LDAP_CA_FILE=ca)
    assert trusted.login("alice", PASSWORDS["alice"])[1] == 303
    entry = trusted.hub.services["directory"].directory.lookup("alice")
    assert entry is not None and entry.dn == ALICE
    _, status, page = first.login("alice", PASSWORDS["alice"])  # system CAs only
    assert status == 503 and "directory is unavailable" in page
    assert "CERTIFICATE_VERIFY_FAILED" in caplog.text


@pytest.mark.parametrize(("env", "message"), [
    ({"HUB_LDAP_URL": "http://ldap.example.org"}, "ldap:// or ldaps://"),
    ({"HUB_LDAP_USER_FILTER": "(uid=alice)"}, "{username}"),
    ({"HUB_LDAP_GROUP_MAP": "netops"}, "GROUP-DN=OpsHubGroup"),
    ({"HUB_LDAP_TIMEOUT": "0"}, "seconds above 0"),
])
def test_bad_directory_settings_stop_the_start(tmp_path: Any, env: dict[str, str],
                                               message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("{", r"\{").replace("}", r"\}")):
        load_settings(env={"HUB_DATA_DIR": str(tmp_path), "HUB_SECRET_KEY": "x", **env})


def test_group_map_from_the_environment_and_from_a_toml_table(tmp_path: Any) -> None:
    settings = load_settings(env={"HUB_DATA_DIR": str(tmp_path), "HUB_SECRET_KEY": "x",
                                  "HUB_LDAP_GROUP_MAP": f"{NETOPS_GROUP}=NetOps; "
                                                        f"cn=dba,ou=groups,{BASE_DN}=dba"})
    assert settings.ldap_group_map == ((NETOPS_GROUP, "netops"),
                                       (f"cn=dba,ou=groups,{BASE_DN}", "dba"))
    config = tmp_path / "hub.toml"
    config.write_text(f'ldap_url = "ldaps://ldap.example.org"\nldap_starttls = false\n'
                      f'[ldap_group_map]\n"{NETOPS_GROUP}" = "NetOps"\n')
    from_file = load_settings(env={"HUB_DATA_DIR": str(tmp_path), "HUB_SECRET_KEY": "x",
                                   "HUB_CONFIG": str(config)})
    assert from_file.ldap_group_map == ((NETOPS_GROUP, "netops"),)
    assert from_file.ldap_url == "ldaps://ldap.example.org"

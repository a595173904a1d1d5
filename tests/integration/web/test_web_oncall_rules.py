"""The staff pages for on-call (``/oncall``) and rules (``/admin/rules``), and the
``hub oncall now`` / ``hub rules list`` commands, on a hub with real data: a schedule,
a policy named by two queues, pages started by the real reactors for new tickets
(one in a managed queue only the group ``secops`` sees), a rule fired by the real
rule engine. Who sees what, and that the forms go through commands and need csrf.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from web_support import Desk, add_user, api, build_desk, login

from hub.accounts import commands as ac
from hub.actors import system_actor
from hub.cli import main
from hub.oncall import commands as oc
from hub.reactors import run_once
from hub.rules import commands as rc
from hub.tickets import commands as tc

CLI = system_actor("cli")


class World:
    def __init__(self, desk: Desk) -> None:
        self.desk, self.hub = desk, desk.hub
        add_user(self.hub, "bob", "staff")
        self.clients = {**desk.clients, "bob": login(desk.app, "bob")}
        self.reactors = [r for r in self.hub.reactors
                         if r.name.startswith("oncall_") or r.name == "rules"]
        self.drain()  # new reactors start at the head
        start = (dt.datetime.now(dt.UTC) - dt.timedelta(days=2)).strftime("%Y-%m-%dT09:00")
        self.hub.bus.handle(oc.SaveSchedule(name="ops", document={
            "timezone": "Europe/Berlin",
            "rotation": {"users": ["alice", "bob"], "shift": "1w", "start": start}}), CLI)
        self.hub.bus.handle(oc.SavePolicy(name="crit", document={"steps": [
            {"notify": "schedule:ops", "via": ["mail"], "wait": "5m"},
            {"notify": "user:admin", "via": ["mail", "sms"], "wait": "10m"}], "repeat": 1}), CLI)
        self.hub.bus.handle(tc.CreateQueue(name="Secret"), CLI)
        self.hub.bus.handle(ac.CreateGroup(name="secops"), CLI)
        self.hub.bus.handle(ac.ChangeGroupMember(group="secops", user="bob"), CLI)
        for right in ("SeeQueue", "ShowTicket", "ModifyTicket", "ShowTicketComments"):
            self.hub.bus.handle(ac.GrantRight(scope="Secret", principal="group:secops",
                                              right=right), CLI)
        for queue in ("General", "Secret"):
            r = api(desk, "admin", "PATCH", f"/api/v1/queues/{queue}",
                    {"escalation_policy": "crit"})
            assert r.status_code == 200, r.json
        self.hub.bus.handle(rc.DefineRule(body={
            "name": "disk-notes", "on": "ticket.created", "description": "Disk tickets",
            "if": {"subject_contains": "disk"},
            "do": [{"action": "comment", "template": "Check df -h first."}]}), CLI)
        self.general = self.ticket("General", "Disk full on web-01")
        self.secret = self.ticket("Secret", "Disk full on vault-01")
        self.drain()
        self.pages = {p["ticket_id"]: p for p in self.api_pages(self.general)
                      + self.api_pages(self.secret)}
        assert set(self.pages) == {self.general, self.secret}

    def ticket(self, queue: str, subject: str) -> int:
        return int(self.hub.bus.handle(tc.CreateTicket(
            queue=queue, subject=subject, body="x", requestors=["carol@example.com"]),
            CLI)["id"])

    def drain(self) -> None:
        for _ in range(30):
            if not sum(run_once(self.hub, r) for r in self.reactors):
                return
        raise AssertionError("reactors did not settle")

    def api_pages(self, ticket_id: int) -> list[dict[str, Any]]:
        r = api(self.desk, "admin", "GET", f"/api/v1/pages?ticket_id={ticket_id}")
        assert r.status_code == 200
        return list(r.json["pages"])

    def get(self, who: str, path: str) -> Any:
        return self.clients[who].get(path)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    desk = build_desk(tmp_path)
    yield World(desk)
    desk.hub.engine.dispose()


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no csrf token"
    return found.group(1)


def test_oncall_page_shows_schedules_handoffs_feed_policies_and_pages(world: World) -> None:
    r = world.get("staff", "/oncall")
    assert r.status_code == 200
    html = r.text
    assert 'id="schedule-ops"' in html and "Europe/Berlin" in html
    now = re.search(r'<p class="oncall-now">(.*?)</p>', html, re.S)
    assert now and "alice" in now.group(1) and "until" in now.group(1)
    assert "next bob" in now.group(1)
    # two weeks of weekly shifts: the current one and the next two handoffs
    table = html.split('class="handoffs"', 1)[1].split("</table>", 1)[0]
    assert table.count("<tr") >= 3 and "<time datetime=" in table
    ends = re.findall(r'<td>[^<]*<span class="muted">\(<time datetime="([^"]+)"', table)
    assert ends and all(e.endswith(":00Z") for e in ends)  # real handoffs, not "now + 14d"
    assert "/api/v1/oncall/schedules/ops.ics?token=" in html
    policy = html.split('id="policy-crit"', 1)[1].split("</article>", 1)[0]
    assert "schedule:ops" in policy and "(now alice)" in policy
    assert "user:admin" in policy and "mail, sms" in policy and "10m" in policy
    assert "Repeats 1 time" in policy and "General, Secret" in policy
    pages = html.split('id="open-pages"', 1)[1].split("</section>", 1)[0]
    general = world.pages[world.general]
    assert f'data-page="{general["id"]}"' in pages
    assert f'href="/tickets/{world.general}"' in pages and "Disk full on web-01" in pages
    assert "alice by mail" in pages and "step 1 of 2" in pages
    assert f"Acknowledge #{general['id']}" in pages
    assert "Add override" not in html  # staff read, admins change
    assert 'href="/oncall" aria-current="page"' in html


def test_staff_without_rights_on_a_managed_queue_sees_none_of_its_pages(world: World) -> None:
    secret = world.pages[world.secret]
    alice = world.get("staff", "/oncall").text
    assert f'data-page="{secret["id"]}"' not in alice and "vault-01" not in alice
    bob = world.get("bob", "/oncall").text
    assert f'data-page="{secret["id"]}"' in bob and "vault-01" in bob
    # nor can she acknowledge it through the form
    r = world.clients["staff"].post(f"/pages/{secret['id']}/ack",
                                    data={"next": "/oncall"})
    assert r.status_code == 404
    assert world.api_pages(world.secret)[0]["state"] == "triggered"
    # and the rules page hides the firing on the secret ticket from her
    rules = world.get("staff", "/admin/rules").text
    assert f'href="/tickets/{world.general}"' in rules
    assert f'href="/tickets/{world.secret}"' not in rules
    assert f'href="/tickets/{world.secret}"' in world.get("bob", "/admin/rules").text


@pytest.mark.parametrize("path", ["/oncall", "/admin/rules"])
def test_outsiders_and_customers_get_nothing(world: World, path: str) -> None:
    r = world.get("anonymous", path)
    assert r.status_code in (302, 303) and "/login" in r.headers["Location"]
    r = world.get("owner", path)
    assert r.status_code == 403 and "vault-01" not in r.text and "disk-notes" not in r.text


def test_forms_refuse_outsiders_customers_and_staff_where_admins_act(world: World) -> None:
    page = world.pages[world.general]["id"]
    posts = [f"/pages/{page}/ack", "/oncall/schedules/ops/overrides",
             "/admin/rules/disk-notes/enabled", "/admin/rules/disk-notes/delete"]
    for path in posts:
        r = world.clients["anonymous"].post(path, data={"enabled": "0"})
        assert r.status_code in (302, 303) and "/login" in r.headers["Location"], path
        assert world.clients["owner"].post(path, data={"enabled": "0"}).status_code == 403
    for path in posts[1:]:  # staff may acknowledge, not change schedules or rules
        assert world.clients["staff"].post(path, data={"enabled": "0"}).status_code == 403
    assert world.api_pages(world.general)[0]["state"] == "triggered"
    rule = api(world.desk, "admin", "GET", "/api/v1/rules/disk-notes").json
    assert rule["enabled"] is True


def test_acknowledge_from_the_oncall_page_needs_csrf(world: World) -> None:
    world.desk.app.config["WTF_CSRF_ENABLED"] = True
    page = world.pages[world.general]["id"]
    alice = world.clients["staff"]
    refused = alice.post(f"/pages/{page}/ack", data={"next": "/oncall"})
    assert refused.status_code == 400
    assert world.api_pages(world.general)[0]["state"] == "triggered"
    token = csrf_of(alice.get("/oncall").text)
    r = alice.post(f"/pages/{page}/ack", data={"csrf_token": token, "next": "/oncall"})
    assert r.status_code == 303 and r.headers["Location"].endswith("/oncall")
    acked = world.api_pages(world.general)[0]
    assert acked["state"] == "acknowledged" and acked["acknowledged_by"] == "alice"
    assert acked["acknowledged_via"] == "web"
    html = alice.get("/oncall").text
    assert "by alice (web)" in html
    assert f"Acknowledge #{page}" not in html


def test_admin_adds_and_removes_an_override_through_the_schedule_command(world: World) -> None:
    world.desk.app.config["WTF_CSRF_ENABLED"] = True
    admin = world.clients["admin"]
    html = admin.get("/oncall").text
    assert "Add override" in html
    start = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    form = {"user": "admin", "zone": "UTC", "from": start.strftime("%Y-%m-%dT%H:00"),
            "to": (start + dt.timedelta(hours=3)).strftime("%Y-%m-%dT%H:00")}
    assert admin.post("/oncall/schedules/ops/overrides", data=form).status_code == 400
    r = admin.post("/oncall/schedules/ops/overrides", data={**form, "csrf_token": csrf_of(html)})
    assert r.status_code == 303
    doc = api(world.desk, "admin", "GET", "/api/v1/oncall/schedules/ops").json
    assert [o["user"] for o in doc["overrides"]] == ["admin"]
    # the form's UTC times, on the schedule's Berlin wall clock
    berlin = start.replace(minute=0, second=0, microsecond=0).astimezone(
        ZoneInfo("Europe/Berlin"))
    assert doc["overrides"][0]["from"] == berlin.strftime("%Y-%m-%dT%H:%M")
    with world.hub.engine.connect() as conn:
        saved = list(world.hub.store.read_stream(conn, "oncall_schedule-ops"))
    assert saved[-1].type == "OnCallScheduleSaved" and saved[-1].meta.get("actor") == "admin"
    html = admin.get("/oncall").text
    table = html.split('class="handoffs"', 1)[1].split("</table>", 1)[0]
    assert "override" in table
    # a bad time is refused with a message, and nothing is recorded
    r = admin.post("/oncall/schedules/ops/overrides", follow_redirects=True,
                   data={**form, "to": "soon", "csrf_token": csrf_of(html)})
    assert "Override not added" in r.text
    # an unknown user is the handler's refusal, shown on the page
    r = admin.post("/oncall/schedules/ops/overrides", follow_redirects=True,
                   data={**form, "user": "nobody-here", "csrf_token": csrf_of(html)})
    assert "unknown users" in r.text
    assert len(api(world.desk, "admin", "GET",
                   "/api/v1/oncall/schedules/ops").json["overrides"]) == 1
    removal = {k: doc["overrides"][0][k] for k in ("user", "from", "to")}
    r = admin.post("/oncall/schedules/ops/overrides/remove",
                   data={**removal, "csrf_token": csrf_of(html)})
    assert r.status_code == 303
    assert api(world.desk, "admin", "GET", "/api/v1/oncall/schedules/ops").json[
        "overrides"] == []
    assert admin.post("/oncall/schedules/nope/overrides",
                      data={**form, "csrf_token": csrf_of(html)}).status_code == 404


def test_rules_page_toggles_and_deletes_through_the_rules_commands(world: World) -> None:
    staff = world.get("staff", "/admin/rules").text
    row = staff.split('id="rule-disk-notes"', 1)[1].split("</tr>", 1)[0]
    assert "<code>TicketCreated</code>" in row and "subject contains “disk”" in row
    assert "comment: “Check df -h first.”" in row
    assert "enabled" in row and f'href="/tickets/{world.general}"' in row
    assert "Disable" not in row  # staff read only
    assert 'href="/admin/rules"' in world.get("admin", "/admin").text
    world.desk.app.config["WTF_CSRF_ENABLED"] = True
    admin = world.clients["admin"]
    html = admin.get("/admin/rules").text
    assert "Disable" in html
    assert admin.post("/admin/rules/disk-notes/enabled", data={"enabled": "0"}).status_code == 400
    r = admin.post("/admin/rules/disk-notes/enabled",
                   data={"enabled": "0", "csrf_token": csrf_of(html)})
    assert r.status_code == 303
    rule = api(world.desk, "admin", "GET", "/api/v1/rules/disk-notes").json
    assert rule["enabled"] is False and rule["updated_by"] == "admin"
    html = admin.get("/admin/rules").text
    assert 'value="1" class="small">Enable' in html
    r = admin.post("/admin/rules/disk-notes/enabled",
                   data={"enabled": "maybe", "csrf_token": csrf_of(html)})
    assert r.status_code == 400
    r = admin.post("/admin/rules/disk-notes/delete", data={"csrf_token": csrf_of(html)})
    assert r.status_code == 303
    assert api(world.desk, "admin", "GET", "/api/v1/rules/disk-notes").status_code == 404
    again = admin.post("/admin/rules/disk-notes/delete", follow_redirects=True,
                       data={"csrf_token": csrf_of(html)})
    assert again.status_code == 200 and "No such rule" in again.text


def _cli(world: World, monkeypatch: pytest.MonkeyPatch, *args: str) -> str:
    for key in [k for k in os.environ if k.startswith("HUB_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("HUB_DATA_DIR", str(world.hub.settings.data_dir))
    monkeypatch.setenv("HUB_SECRET_KEY", "test-secret")
    monkeypatch.setenv("HUB_MAIL_DOMAIN", "hub.test")
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return str(result.stdout)


def test_cli_oncall_now_and_rules_list(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    table = _cli(world, monkeypatch, "oncall", "now").splitlines()
    assert table[0].split()[:3] == ["SCHEDULE", "ON", "CALL"]
    assert table[1].split()[:2] == ["ops", "alice"] and "bob" in table[1]
    doc = json.loads(_cli(world, monkeypatch, "oncall", "now", "ops", "--json"))
    assert doc["schedule"] == "ops" and doc["on_call"] == ["alice"]
    assert doc["next"]["user"] == "bob" and doc["until"].endswith("Z")
    missing = CliRunner().invoke(main, ["oncall", "now", "nope"])
    assert missing.exit_code == 1 and "no schedule 'nope'" in missing.output
    rules = _cli(world, monkeypatch, "rules", "list").splitlines()
    assert rules[0].split()[:4] == ["NAME", "ON", "ENABLED", "ORDER"]
    assert rules[1].split()[:4] == ["disk-notes", "TicketCreated", "yes", "100"]
    assert "subject contains" in rules[1] and f"#{world.secret}" in rules[1]
    assert rules[-1] == "1 rules, 1 enabled"
    docs = json.loads(_cli(world, monkeypatch, "rules", "list", "--json"))
    assert docs[0]["name"] == "disk-notes" and docs[0]["last_fired"]["ticket_id"] == world.secret

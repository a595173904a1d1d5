"""Nagios notification mail becomes an alert (ReceiveAlert), not a plain ticket."""

from __future__ import annotations

import importlib
import json

import pytest
from mail_support import DOMAIN, MailEnv, shared_dir

from hub.actors import system_actor
from hub.tickets import commands as tc


def _has_receive_alert() -> bool:
    try:
        return hasattr(importlib.import_module("hub.ops.commands"), "ReceiveAlert")
    except ImportError:
        return False


@pytest.mark.skipif(not _has_receive_alert(), reason="hub.ops.commands.ReceiveAlert not built yet")
def test_nagios_mail_opens_and_resolves_alert_tickets(mail: MailEnv) -> None:
    folder = shared_dir() / "data" / "nagios" / "email"
    mail.hub.bus.handle(tc.CreateQueue(name="Alerts", address=f"alerts@{DOMAIN}"),
                        system_actor("cli"))
    names = ["02-service-PROBLEM-web-01-App_Health",
             "04-service-PROBLEM-renotify-web-01-App_Health",
             "08-service-RECOVERY-web-01-App_Health"]
    for name in names:
        envelope = json.loads((folder / f"{name}.envelope.json").read_text())
        mail.send((folder / f"{name}.eml").read_bytes(), rcpts=envelope["rcpt_tos"],
                  mail_from=envelope["mail_from"])
    rows = mail.wait_processed(len(names))
    assert [r.result["action"] for r in rows] == ["alert"] * len(names), [r.result for r in rows]
    actions = [r.result["result"]["action"] for r in rows]
    assert actions[0] == "opened" and actions[-1] == "resolved"
    tickets = mail.tickets()
    assert len(tickets) == 1
    assert "App Health" in tickets[0].subject and tickets[0].status == "resolved"
    # the same notification delivered again changes nothing
    first = names[0]
    mail.send((folder / f"{first}.eml").read_bytes(), rcpts=[f"alerts@{DOMAIN}"])
    mail.wait_processed(len(names) + 1)
    assert len(mail.tickets()) == 1 and mail.tickets()[0].status == "resolved"

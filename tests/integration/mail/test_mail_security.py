"""Mail attacks against a real ``hub serve`` (SMTP over a socket, checks through the API).

Each test starts from an attack as it was tried on loopback and asserts what the
attacker gets (nothing), then the positive path where there is one: the real staff
member writing to their own signed reply address, with a trusted relay's passing
Authentication-Results when relays are configured, still changes the ticket.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from mail_support import DOMAIN, RELAY, MailEnv, add_staff, make_mail
from served import ALICE, BOB, CUSTOMER, Served

RUNBOOK = """A runbook a staff member may start by mail (``Run: Runbooks.Notify node=web2``).

```params
node: {type: string, required: true, pattern: "[a-z0-9]+"}
```

```op
name: Tell the ticket
action: ticket.comment
params: {body: "{{ params.node }} checked"}
```
"""


def _save_runbook(hub: Served) -> None:
    response = hub.api("PUT", "/api/v1/wiki/Runbooks/Notify",
                       json={"text": RUNBOOK, "base_revision": 0})
    assert response.status_code in (200, 201), response.text


def _runs(hub: Served) -> list[dict[str, Any]]:
    with hub.hub.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT state FROM runbook_runs ORDER BY id")).all()
    return [r[0] if isinstance(r[0], dict) else json.loads(r[0]) for r in rows]


def _auth(relay: str = RELAY, domain: str = "example.com", result: str = "pass") -> str:
    return f"{relay}; dkim={result} header.d={domain} header.s=sel"


def _actors(history: list[dict[str, Any]]) -> set[str]:
    return {str(h["actor"]) for h in history}


# -- vector 1: forged staff mail commands ------------------------------------------------

def test_forged_staff_commands_to_the_customers_reply_address_apply_nothing(
        serve: Callable[..., Served]) -> None:
    hub = serve()
    ticket_id, customer_reply_to = hub.open_ticket()
    before = hub.ticket(ticket_id)
    attack = make_mail("Re: VPN down", "Status: resolved\nPriority: 99\nTime-Worked: 600\n"
                       "Run: Runbooks.DrainWebNode node=web2\n\nclosing this",
                       sender=ALICE, to=customer_reply_to, msgid="<forged1@example.net>")
    hub.send(attack, customer_reply_to, ALICE)  # From and envelope both say alice
    (_, row) = hub.inbox(2)
    after = hub.ticket(ticket_id)
    assert (after["status"], after["priority"]) == (before["status"], before["priority"])
    assert "alice" not in _actors(hub.history(ticket_id))
    assert row.result is None or not row.result.get("commands")
    with hub.hub.engine.connect() as conn:
        runs = conn.execute(sa.text("SELECT count(*) FROM runbook_runs")).scalar_one()
    assert runs == 0


def test_old_unsigned_reply_address_still_threads_as_unauthenticated(
        serve: Callable[..., Served]) -> None:
    from hub.mail.threading import reply_address

    hub = serve()
    ticket_id, _ = hub.open_ticket()
    old = reply_address("general", ticket_id, DOMAIN, "test-secret")  # +t<id>.<sig>
    hub.send(make_mail("Re: VPN down", "Status: resolved\n\nstill broken", sender=CUSTOMER,
                       to=old, msgid="<old1@example.com>"), old, CUSTOMER)
    (_, row) = hub.inbox(2)
    assert row.result["action"] == "correspond" and row.result["ticket_id"] == ticket_id
    assert hub.ticket(ticket_id)["status"] != "resolved"
    reply = [h for h in hub.history(ticket_id) if h["type"] == "TicketCorresponded"][-1]
    assert reply["actor"] == CUSTOMER and reply["data"]["authenticated"] is False


def test_staff_cannot_start_a_run_as_a_colleague(serve: Callable[..., Served]) -> None:
    hub = serve(relays=RELAY)
    _save_runbook(hub)
    ticket_id, _ = hub.open_ticket()
    bob_address = hub.own_address(ticket_id, "bob", BOB)
    run = "Run: Runbooks.Notify node=web2\n"
    # Bob writes to his own address with alice's From: the address is not alice's.
    hub.send(make_mail("Re: VPN", run, sender=ALICE, to=bob_address, msgid="<run1@example.com>"),
             bob_address, ALICE)
    # And alice's own address, taken from her notification, without a relay's pass.
    alice_address = hub.own_address(ticket_id, "alice", ALICE)
    hub.send(make_mail("Re: VPN", run, sender=ALICE, to=alice_address,
                       msgid="<run2@example.com>"), alice_address, ALICE)
    hub.inbox(3)
    assert "alice" not in _actors(hub.history(ticket_id))
    # Even when the relay vouches for the From domain, bob's own address is not alice's.
    hub.send(make_mail("Re: VPN", run, sender=ALICE, to=bob_address, msgid="<run3@example.com>",
                       headers={"Authentication-Results": _auth()}), bob_address, ALICE)
    rows = hub.inbox(4)
    assert all(not (r.result or {}).get("commands") for r in rows)
    assert _runs(hub) == []
    # The real alice, at her own address with the relay's pass, starts the run as herself.
    hub.send(make_mail("Re: VPN", run, sender=ALICE, to=alice_address, msgid="<run4@example.com>",
                       headers={"Authentication-Results": _auth()}), alice_address, ALICE)
    rows = hub.inbox(5)
    assert rows[-1].state == "processed", rows[-1].error
    assert len(_runs(hub)) == 1, rows[-1].result
    (started,) = _runs(hub)
    assert started["started_by"] == "alice"


def test_staff_own_address_needs_a_trusted_relays_pass(serve: Callable[..., Served]) -> None:
    hub = serve(relays=RELAY)
    ticket_id, _ = hub.open_ticket()
    own = hub.own_address(ticket_id, "alice", ALICE)
    assert own.startswith(f"general-comment+t{ticket_id}.")
    attempts = [
        ("none", {}),  # no Authentication-Results at all
        ("untrusted", {"Authentication-Results": _auth(relay="evil.example.net")}),
        ("wrong-domain", {"Authentication-Results": _auth(domain="evil.example.net")}),
        ("failed", {"Authentication-Results": _auth(result="fail")}),
    ]
    for name, headers in attempts:
        hub.send(make_mail("Re: VPN", "Status: resolved\n", sender=ALICE, to=own,
                           msgid=f"<{name}@example.com>", headers=headers), own, ALICE)
    # A forged "pass" under the relay's own (failing) result and its Received line.
    forged = make_mail("Re: VPN", "Status: resolved\n", sender=ALICE, to=own,
                       msgid="<below@example.com>",
                       headers={"Authentication-Results": _auth(result="fail")})
    forged = forged.replace(b"From:", b"Received: from evil by mx.example.com\n"
                            b"Authentication-Results: " + _auth().encode() + b"\nFrom:", 1)
    hub.send(forged, own, ALICE)
    hub.inbox(1 + len(attempts) + 1)
    assert hub.ticket(ticket_id)["status"] != "resolved"
    assert "alice" not in _actors(hub.history(ticket_id))

    # The positive path: the same mail with the relay's passing result applies Status:.
    hub.send(make_mail("Re: VPN", "Status: resolved\n\ndone", sender=ALICE, to=own,
                       msgid="<good@example.com>",
                       headers={"Authentication-Results": _auth()}), own, ALICE)
    rows = hub.inbox(1 + len(attempts) + 2)
    assert rows[-1].state == "processed", rows[-1].error
    assert hub.ticket(ticket_id)["status"] == "resolved"
    changed = [h for h in hub.history(ticket_id) if h["type"] == "TicketStatusChanged"]
    assert changed[-1]["actor"] == "alice" and changed[-1]["source"] == "email"


def test_without_relays_the_own_signed_address_is_the_proof(
        serve: Callable[..., Served]) -> None:
    hub = serve()
    ticket_id, _ = hub.open_ticket()
    own = hub.own_address(ticket_id, "alice", ALICE)
    # Another envelope sender on alice's own address: not alice.
    hub.send(make_mail("Re: VPN", "Status: resolved\n", sender=ALICE, to=own,
                       msgid="<env@example.com>"), own, "attacker@example.net")
    hub.inbox(2)
    assert hub.ticket(ticket_id)["status"] != "resolved"
    hub.send(make_mail("Re: VPN", "Status: resolved\n", sender=ALICE, to=own,
                       msgid="<ok@example.com>"), own, ALICE)
    hub.inbox(3)
    assert hub.ticket(ticket_id)["status"] == "resolved"


# -- vector 5: the gateway as a relay ---------------------------------------------------

def test_outsiders_cc_adds_no_watchers_and_nobody_is_mailed(
        serve: Callable[..., Served]) -> None:
    hub = serve()
    many = ", ".join(f"victim{i}@example.org" for i in range(500))
    ticket_id, _ = hub.open_ticket(cc=many)
    ticket = hub.ticket(ticket_id)
    assert ticket["requestors"] == [CUSTOMER]
    assert not any(h["type"] == "TicketWatcherAdded" for h in hub.history(ticket_id))
    hub.api("POST", f"/api/v1/tickets/{ticket_id}/correspond", json={"body": "on it"})
    hub.mail_to(CUSTOMER, 2)
    hub.settle()
    assert {r for _, rs, _ in hub.sink.messages() for r in rs} == {CUSTOMER}


def test_queue_opt_in_adds_at_most_twenty_cc_watchers(serve: Callable[..., Served]) -> None:
    hub = serve()
    hub.opt_in_cc()
    many = ", ".join(f"friend{i}@example.org" for i in range(60))
    ticket_id, _ = hub.open_ticket(cc=many)
    created = next(h for h in hub.history(ticket_id) if h["type"] == "TicketCreated")
    assert len(created["data"]["cc"]) == 20


def test_unverified_staff_words_reach_customers_only_under_their_address(
        serve: Callable[..., Served]) -> None:
    hub = serve()
    hub.opt_in_cc()
    ticket_id, customer_reply_to = hub.open_ticket(cc=ALICE)  # alice is a Cc watcher
    hub.send(make_mail("Re: VPN down", "Please send me your password.", sender=ALICE,
                       to=customer_reply_to, msgid="<phish@example.net>"),
             customer_reply_to, ALICE)
    hub.inbox(2)
    reply = [h for h in hub.history(ticket_id) if h["type"] == "TicketCorresponded"][-1]
    assert reply["actor"] == ALICE and reply["data"]["authenticated"] is False
    note = hub.mail_to(CUSTOMER, 2)[-1]
    assert note["From"].addresses[0].display_name == f"{ALICE} via OpsHub"
    assert "sender not verified" in note.get_content()
    assert "alice wrote" not in note.get_content()
    assert "Liddell" not in str(note["From"]) + note.get_content()


def test_outgoing_correspondence_per_ticket_is_rate_limited(
        serve: Callable[..., Served]) -> None:
    hub = serve(mail_conf={"ticket_mail_limit": 3})
    ticket_id, _ = hub.open_ticket()
    for n in range(6):
        response = hub.api("POST", f"/api/v1/tickets/{ticket_id}/correspond",
                           json={"body": f"update {n}"})
        assert response.status_code in (200, 201), response.text
    hub.mail_to(CUSTOMER, 1 + 3)
    hub.settle(3)
    states = [r.state for r in hub.outbox() if r.kind == "correspondence"]
    assert states.count("held") == 3 and len(hub.mail_to(CUSTOMER, 0)) == 1 + 3


# -- vector 6: secrets of Run: parameters -----------------------------------------------

def test_run_secrets_are_masked_in_inbox_outbox_and_mail(serve: Callable[..., Served]) -> None:
    hub = serve()
    ticket_id, customer_reply_to = hub.open_ticket()
    own = hub.own_address(ticket_id, "alice", ALICE)
    secret = "hunter2-Sup3rSecret"
    # An applicable command that fails (no such runbook) and one a customer cannot use.
    hub.send(make_mail("Re: VPN", f"Run: Ops.Restore host=db1 password={secret} "
                       f"api_token={secret}x\n\nplease", sender=ALICE, to=own,
                       msgid="<sec1@example.com>"), own, ALICE)
    hub.send(make_mail("Re: VPN", f"Run: Ops.Restore password={secret}\n\nplease",
                       sender=CUSTOMER, to=customer_reply_to, msgid="<sec2@example.com>"),
             customer_reply_to, CUSTOMER)
    rows = hub.inbox(3)
    hub.mail_to(ALICE, 2)  # the comment notification and the refusal notice
    hub.settle()
    stored = json.dumps([[r.result, r.error] for r in rows], default=str)
    assert rows[1].result["errors"] and "********" in stored
    assert secret not in stored
    outbox = json.dumps([[r.context, r.last_error] for r in hub.outbox()], default=str)
    assert secret not in outbox
    assert all(secret.encode() not in raw for _, _, raw in hub.sink.received)
    history = json.dumps(hub.history(ticket_id))
    assert secret not in history and "Run: Ops.Restore" in history


def test_private_comments_are_never_mailed_to_a_customer_named_admincc(mail: MailEnv) -> None:
    """Vector 4's mail half: AdminCc receives comments only with ShowTicketComments."""
    from hub.actors import Actor
    from hub.tickets import commands as tcmd

    add_staff(mail.hub, "alice", "alice@example.com")
    add_staff(mail.hub, "cora", "cora@example.com", role="customer")
    staff = Actor("alice", "alice@example.com", "staff", "api")
    created = mail.hub.bus.handle(tcmd.CreateTicket(
        queue="General", subject="Private things", body="x",
        requestors=["cora@example.com"]), staff)
    for who in ("cora@example.com", "bob@outside.example", "alice@example.com"):
        mail.hub.bus.handle(tcmd.ChangeWatcher(created["id"], "admincc", who), staff)
    mail.flush(expect=1)  # cora's autoreply (the gateway's sender may deliver it meanwhile)
    before = len(mail.sink.received)
    mail.hub.bus.handle(tcmd.Comment(created["id"], "internal: the root password is in KB"),
                        staff)
    sent = mail.flush()[before:]
    recipients = {r for _, rcpts, _ in sent for r in rcpts}
    assert "cora@example.com" not in recipients
    assert "bob@outside.example" not in recipients
    assert all("root password" not in m.as_string() or rcpts == ["alice@example.com"]
               for _, rcpts, m in sent)

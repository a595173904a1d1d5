"""Subject tags, signed reply addresses, our Message-IDs and VERP bounce addresses."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.mail.threading import (
    Recipient,
    add_tag,
    bounce_address,
    find_ticket_tag,
    make_message_id,
    parse_bounce_address,
    parse_recipient,
    reply_address,
    strip_subject,
    ticket_from_message_id,
)

SECRET = "test-secret"  # the fixtures' signed addresses and Message-IDs use these
DOMAIN = "hub.example.org"
QUEUES = ("General", "Network Ops")


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("[hub #42] Disk full", 42),
        ("Re: AW: Fwd: [HUB #42] Disk full", 42),
        ("Re: [ hub  #  7 ]x", 7),
        ("[JIRA-5] [other #9] Re: [hub #123] x", 123),
        ("[hub #1] and [hub #2]", 1),
        ("[hubx #42] nope", None),
        ("hub #42 no brackets", None),
        ("", None),
    ],
)
def test_find_ticket_tag(subject: str, expected: int | None) -> None:
    assert find_ticket_tag(subject, "hub") == expected


def test_find_ticket_tag_with_configured_tag() -> None:
    assert find_ticket_tag("Re: [ACME.ops #5] x", "acme.ops") == 5
    assert find_ticket_tag("Re: [acmeXops #5] x", "acme.ops") is None  # tag is not a regex


def test_add_tag_is_idempotent_and_keeps_reply_prefix() -> None:
    assert add_tag("Disk full", "hub", 42) == "[hub #42] Disk full"
    assert add_tag("Re: AW:Disk full", "hub", 42) == "Re: AW: [hub #42] Disk full"
    once = add_tag("Re: Disk full", "hub", 42)
    assert add_tag(once, "hub", 42) == once
    assert add_tag("Re: [HUB #42] Disk", "hub", 42) == "Re: [HUB #42] Disk"
    assert add_tag("[hub #7] merged", "hub", 42) == "[hub #42] [hub #7] merged"
    assert add_tag("", "hub", 3) == "[hub #3]"
    assert add_tag("two\r\n lines", "hub", 3) == "[hub #3] two lines"


def test_strip_subject() -> None:
    assert strip_subject("Re: AW: [hub #5] Fwd: Disk full", "hub") == "Disk full"
    assert strip_subject("RE[2]: WG: Server down", "hub") == "Server down"
    assert strip_subject("Review: config", "hub") == "Review: config"


def test_reply_address_round_trip() -> None:
    address = reply_address("General", 42, DOMAIN, SECRET)
    assert address == "general+t42.q64jc6y7pt@hub.example.org"
    assert parse_recipient(address, DOMAIN, SECRET, QUEUES) == Recipient(
        "General", "correspond", 42, True
    )
    comment = reply_address("network ops", 42, DOMAIN, SECRET, comment=True)
    assert comment.startswith("network-ops-comment+t42.")
    assert parse_recipient(f"Ops <{comment.upper()}>", DOMAIN.upper(), SECRET, QUEUES) == (
        Recipient("Network Ops", "comment", 42, True)
    )


def test_plain_queue_addresses() -> None:
    assert parse_recipient("General@HUB.example.org", DOMAIN, SECRET, QUEUES) == Recipient(
        "General", "correspond", None, False
    )
    assert parse_recipient("general-comment@hub.example.org", DOMAIN, SECRET, QUEUES) == (
        Recipient("General", "comment", None, False)
    )


@pytest.mark.parametrize(
    "address",
    [
        "general+t43.q64jc6y7pt@hub.example.org",  # signature of ticket 42
        "general-comment+t42.q64jc6y7pt@hub.example.org",  # correspond signature as comment
        "network-ops+t42.q64jc6y7pt@hub.example.org",  # other queue
        "general+t42.aaaaaaaaaa@hub.example.org",
        "general+t42@hub.example.org",
        "general+anything@hub.example.org",
    ],
)
def test_bad_signature_is_never_trusted(address: str) -> None:
    found = parse_recipient(address, DOMAIN, SECRET, QUEUES)
    assert found is not None
    assert found.ticket_id is None and found.signed is False


@pytest.mark.parametrize(
    "address",
    ["unknown@hub.example.org", "general@other.example", "general", "comment@hub.example.org"],
)
def test_unknown_recipients(address: str) -> None:
    assert parse_recipient(address, DOMAIN, SECRET, QUEUES) is None


def test_wrong_secret_does_not_verify() -> None:
    address = reply_address("General", 42, DOMAIN, "other-secret")
    assert parse_recipient(address, DOMAIN, SECRET, QUEUES) == Recipient(
        "General", "correspond", None, False
    )


def test_message_id_round_trip_and_forgery() -> None:
    msgid = make_message_id(42, 1007, DOMAIN, SECRET)
    assert msgid == "<hub.t42.e1007.qg74hva2r7@hub.example.org>"
    assert ticket_from_message_id(msgid, DOMAIN, SECRET) == 42
    assert ticket_from_message_id(msgid.upper(), DOMAIN, SECRET) == 42
    assert ticket_from_message_id(msgid.replace("t42", "t43"), DOMAIN, SECRET) is None
    assert ticket_from_message_id(msgid, "other.example", SECRET) is None
    assert ticket_from_message_id(msgid, DOMAIN, "wrong") is None
    assert ticket_from_message_id("<CAB4x9@mail.gmail.com>", DOMAIN, SECRET) is None
    part = make_message_id(42, 1010, DOMAIN, SECRET, "req")
    assert part == "<hub.t42.e1010.req.gs6rapsjau@hub.example.org>"
    assert part != make_message_id(42, 1010, DOMAIN, SECRET, "staff")
    assert ticket_from_message_id(part, DOMAIN, SECRET) == 42
    with pytest.raises(ValueError):
        make_message_id(1, 1, DOMAIN, SECRET, "bad part")


def test_bounce_address_round_trip() -> None:
    address = bounce_address(42, "77", "Alice@Customer.Example", DOMAIN, SECRET)
    assert address == "bounces+t42.o77.alice=customer.example.jw6mr4udli@hub.example.org"
    ref = parse_bounce_address(f"<{address}>", DOMAIN, SECRET)
    assert ref is not None
    assert (ref.ticket_id, ref.outgoing_id, ref.recipient) == (42, "77", "alice@customer.example")
    tampered = address.replace("alice=", "mallory=")
    assert parse_bounce_address(tampered, DOMAIN, SECRET) is None
    assert parse_bounce_address("general@hub.example.org", DOMAIN, SECRET) is None


def test_bounce_address_omits_long_or_odd_recipients() -> None:
    long_rcpt = "a" * 40 + "@" + "b" * 30 + ".example"
    address = bounce_address(1, 9, long_rcpt, DOMAIN, SECRET)
    assert len(address.split("@")[0]) <= 64
    ref = parse_bounce_address(address, DOMAIN, SECRET)
    assert ref is not None and ref.recipient is None and ref.outgoing_id == "9"
    quoted = bounce_address(1, 9, '"odd person"@x.example', DOMAIN, SECRET)
    ref = parse_bounce_address(quoted, DOMAIN, SECRET)
    assert ref is not None and ref.recipient is None


@given(
    st.integers(min_value=1, max_value=10**12),
    st.integers(min_value=0, max_value=10**15),
    st.from_regex(r"[a-z0-9._%+-]{1,20}@[a-z0-9-]{1,15}\.example", fullmatch=True),
)
def test_round_trips_property(ticket: int, position: int, rcpt: str) -> None:
    assert ticket_from_message_id(make_message_id(ticket, position, DOMAIN, SECRET), DOMAIN,
                                  SECRET) == ticket
    ref = parse_bounce_address(bounce_address(ticket, position, rcpt, DOMAIN, SECRET), DOMAIN,
                               SECRET)
    assert ref is not None and ref.ticket_id == ticket and ref.outgoing_id == str(position)
    assert ref.recipient in (rcpt, None)
    found = parse_recipient(reply_address("General", ticket, DOMAIN, SECRET), DOMAIN, SECRET,
                            QUEUES)
    assert found == Recipient("General", "correspond", ticket, True)

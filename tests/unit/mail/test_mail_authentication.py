"""Mail authentication rules: recipient-bound reply addresses and trusted relays' results."""

from __future__ import annotations

import re
from dataclasses import replace

from hub.config import Settings, load_settings
from hub.mail.addresses import Target
from hub.mail.authentication import identify, relay_passes, trusted_results
from hub.mail.parsing import parse_message
from hub.mail.threading import parse_recipient, recipient_token, reply_address, signed_for

DOMAIN = "hub.example.org"
SECRET = "s3cret"
RELAY = "mx.example.com"


def _mail(*top: str, sender: str = "alice@example.com") -> bytes:
    head = "".join(f"{h}\r\n" for h in top)
    return (f"{head}From: {sender}\r\nTo: x@{DOMAIN}\r\nSubject: s\r\n"
            "Message-ID: <m@example.com>\r\n\r\nStatus: resolved\r\n").encode()


def test_reply_address_names_its_recipient() -> None:
    address = reply_address("General", 7, DOMAIN, SECRET, recipient="Alice@Example.com")
    token = recipient_token(SECRET, "alice@example.com")
    assert re.fullmatch(rf"general\+t7\.{token}\.[a-z2-7]{{10}}@{re.escape(DOMAIN)}", address)
    found = parse_recipient(address, DOMAIN, SECRET, ["General"])
    assert found is not None and found.ticket_id == 7 and found.recipient_token == token
    assert signed_for(found, "alice@example.com", SECRET)
    assert not signed_for(found, "bob@example.com", SECRET)


def test_a_changed_token_or_ticket_breaks_the_signature() -> None:
    address = reply_address("General", 7, DOMAIN, SECRET, recipient="alice@example.com")
    local, _, domain = address.partition("@")
    base, _, ext = local.partition("+")
    ticket, token, sig = ext.split(".")
    other = recipient_token(SECRET, "bob@example.com")
    for forged in (f"{base}+{ticket}.{other}.{sig}@{domain}", f"{base}+t8.{token}.{sig}@{domain}"):
        found = parse_recipient(forged, DOMAIN, SECRET, ["General"])
        assert found is not None and found.ticket_id is None and not found.signed


def test_old_addresses_still_verify_but_name_nobody() -> None:
    found = parse_recipient(reply_address("General", 7, DOMAIN, SECRET), DOMAIN, SECRET,
                            ["General"])
    assert found is not None and found.ticket_id == 7 and found.recipient_token is None
    assert not signed_for(found, "alice@example.com", SECRET)


def test_only_the_topmost_results_of_trusted_relays_count() -> None:
    good = f"Authentication-Results: {RELAY}; dkim=pass header.d=example.com"
    bad = f"Authentication-Results: {RELAY}; dkim=fail header.d=example.com"
    untrusted = "Authentication-Results: evil.example.net; dkim=pass header.d=example.com"
    hop = "Received: from sender by mx.example.com"

    def passes(raw: bytes) -> bool:
        parsed = parse_message(raw)
        return relay_passes(parsed.trace, [RELAY], parsed.from_addr, "alice@example.com")

    assert passes(_mail(good))
    assert passes(_mail(hop, good, "Received: from earlier"))
    assert not passes(_mail(untrusted))
    assert not passes(_mail(bad, hop, good))  # the forged pass sits below the relay's hop
    assert not passes(_mail(good, sender="alice@evil.example.net"))  # other domain signed
    assert not passes(_mail("X-Custom: 1", good))  # under a header the sender wrote
    assert not passes(_mail(f"Authentication-Results: {RELAY}; dkim=pass (((("))
    assert trusted_results(parse_message(_mail(good)).trace, []) == []


def test_spf_pass_needs_the_envelope_in_the_from_domain() -> None:
    raw = _mail(f"Authentication-Results: {RELAY}; spf=pass smtp.mailfrom=alice@example.com")
    parsed = parse_message(raw)
    assert relay_passes(parsed.trace, [RELAY], parsed.from_addr, "alice@example.com")
    assert not relay_passes(parsed.trace, [RELAY], parsed.from_addr, "x@evil.example.net")


def _settings(**kw: object) -> Settings:
    return replace(Settings(secret_key=SECRET, mail_domain=DOMAIN), **kw)  # type: ignore[arg-type]


def test_identity_needs_from_and_envelope_to_be_the_recipient() -> None:
    address = reply_address("General", 7, DOMAIN, SECRET, recipient="alice@example.com")
    found = parse_recipient(address, DOMAIN, SECRET, ["General"])
    assert found is not None
    target = Target(address, found.queue, found.action, found.ticket_id, found.signed,
                    recipient_token=found.recipient_token)
    parsed = parse_message(_mail())
    off = _settings()
    assert identify(parsed, "alice@example.com", target, off).may_command
    assert not identify(parsed, "mallory@example.net", target, off).may_command
    two = parse_message(_mail(sender="alice@example.com, mallory@example.net"))
    assert not identify(two, "alice@example.com", target, off).own_address
    required = _settings(mail_trusted_relays=(RELAY,))
    plain = identify(parsed, "alice@example.com", target, required)
    assert plain.own_address and not plain.may_command and not plain.authenticated
    header = f"Authentication-Results: {RELAY}; dkim=pass header.d=example.com"
    signed = parse_message(_mail(header))
    assert identify(signed, "alice@example.com", target, required).may_command


def test_settings_read_the_mail_auth_variables() -> None:
    settings = load_settings(env={"HUB_MAIL_TRUSTED_RELAYS": "MX.example.com, mx2.example.com",
                                  "HUB_SECRET_KEY": "x"})
    assert settings.mail_trusted_relays == ("mx.example.com", "mx2.example.com")
    assert settings.mail_auth_required
    off = load_settings(env={"HUB_MAIL_TRUSTED_RELAYS": "mx", "HUB_MAIL_AUTH": "off",
                             "HUB_SECRET_KEY": "x"})
    assert not off.mail_auth_required
    assert not load_settings(env={"HUB_SECRET_KEY": "x"}).mail_auth_required

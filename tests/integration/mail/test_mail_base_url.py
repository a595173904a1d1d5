"""HUB_BASE_URL: every link in outgoing mail points where people reach the hub, and
``hub serve`` says on start where mail goes and where its links point."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from hub_support import Server
from mail_support import DOMAIN, MailEnv, make_mail

from hub.actors import Actor, system_actor
from hub.bootstrap import Hub
from hub.config import ConfigError, check_document, load_settings
from hub.mail.digest import compose_digest
from hub.mail.queries import startup_banner
from hub.tickets import commands as tc

BASE = "https://desk.example.com/hub"
STAFF = Actor("alice", "alice@example.com", "staff", "api")


def test_notifications_to_a_real_smtp_sink_link_to_the_base_url(mail: MailEnv) -> None:
    mail.hub.settings = replace(mail.hub.settings, base_url=BASE)
    mail.send(make_mail("Disk full on web-01", "df says 100%", msgid="<base@example.com>"))
    mail.wait_processed(1)
    mail.flush(expect=1)  # the autoreply
    (ticket,) = mail.tickets()
    mail.hub.bus.handle(tc.Correspond(ticket.id, "we are on it"), STAFF)
    sent = mail.flush(expect=2)
    for _, rcpts, message in sent:
        text = message.get_body(preferencelist=("plain",)).get_content()
        assert f"{BASE}/tickets/{ticket.id}" in text, text
        assert "127.0.0.1" not in message.as_string() and "8080" not in text
        assert rcpts == ["customer@example.com"]
    assert "we are on it" in sent[1][2].get_body(preferencelist=("plain",)).get_content()


def test_links_default_to_the_http_bind(mail: MailEnv) -> None:
    assert mail.hub.settings.base_url == ""
    mail.hub.settings = replace(mail.hub.settings, http_bind="10.0.0.5:8443")
    mail.send(make_mail("Default link", "x", msgid="<default@example.com>"))
    mail.wait_processed(1)
    ((_, _, message),) = mail.flush(expect=1)
    assert "http://10.0.0.5:8443/tickets/1" in message.get_body(
        preferencelist=("plain",)).get_content()


def test_digest_links_are_absolute(hub: Hub) -> None:
    hub.settings = replace(hub.settings, base_url=BASE)
    message = compose_digest(hub, "bob@example.com", [
        {"web": "Ops", "topic": "BackupPolicy", "revision": 3, "author": "alice",
         "summary": "new schedule"}])
    assert f"  {BASE}/wiki/Ops/BackupPolicy" in message.get_content()


ENV = {"HUB_DATA_DIR": "/nonexistent-hub", "HUB_SECRET_KEY": "k"}


def test_the_setting_is_checked_and_normalised() -> None:
    assert load_settings(ENV).public_url == "http://127.0.0.1:8080"
    assert load_settings({**ENV, "HUB_HTTP": "0.0.0.0:9000"}).public_url == "http://0.0.0.0:9000"
    settings = load_settings({**ENV, "HUB_BASE_URL": "https://desk.example.com/"})
    assert settings.base_url == settings.public_url == "https://desk.example.com"
    for bad in ("desk.example.com", "ftp://desk", "/tickets", "http://", "https:///x",
                "http://a b"):
        with pytest.raises(ValueError, match="HUB_BASE_URL"):
            load_settings({**ENV, "HUB_BASE_URL": bad})
    assert check_document({"base_url": "https://ok.example"}) == []
    assert any("base_url" in e for e in check_document({"base_url": 5}))
    assert any("base_url" in e for e in check_document({"base_url": "nope"}))


def test_config_check_names_a_bad_base_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           ) -> None:
    from hub.cli import main

    monkeypatch.setenv("HUB_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("HUB_SECRET_KEY", "k")
    monkeypatch.delenv("HUB_CONFIG", raising=False)
    monkeypatch.setenv("HUB_BASE_URL", "desk.example.com")
    result = CliRunner().invoke(main, ["config", "check"])
    assert result.exit_code == 1 and "HUB_BASE_URL" in result.output
    config = tmp_path / "hub.toml"
    config.write_text('base_url = "https://desk.example.com"\n')
    monkeypatch.delenv("HUB_BASE_URL")
    monkeypatch.setenv("HUB_CONFIG", str(config))
    assert load_settings().public_url == "https://desk.example.com"
    config.write_text("base_url = 8080\n")
    with pytest.raises(ConfigError, match="base_url"):
        load_settings()


def test_the_banner_names_every_address_mail_can_go_to(hub: Hub) -> None:
    hub.bus.handle(tc.CreateQueue(name="Network", address="noc@example.org"), system_actor())
    lines = startup_banner(hub, "127.0.0.1:2525")
    text = "\n".join(lines)
    assert lines[0] == f"Mail domain: {DOMAIN}"
    assert f"queue General: general@{DOMAIN} (correspond), general-comment@{DOMAIN}" in text
    assert (f"queue Network: noc@example.org (correspond), network-comment@{DOMAIN} (comment)"
            in text)
    assert "SMTP gateway: 127.0.0.1:2525" in text
    assert "Outgoing mail: held, no smarthost configured (HUB_SMARTHOST); 0 held now" in text
    assert "Links in mail: http://127.0.0.1:8080" in text
    hub.settings = replace(hub.settings, smarthost="mx.example.com:25", base_url=BASE)
    text = "\n".join(startup_banner(hub, None))
    assert "Outgoing mail: via mx.example.com:25" in text and f"Links in mail: {BASE}" in text
    assert "SMTP gateway: not started here (--no-smtp)" in text


def test_hub_serve_prints_the_addresses_on_start(server: tuple[Server, Hub]) -> None:
    srv, _ = server
    log = srv.data_dir / "serve.log"
    deadline = time.time() + 60
    while "Links in mail" not in log.read_text() and time.time() < deadline:
        time.sleep(0.2)
    text = log.read_text()
    assert f"Mail domain: {DOMAIN}" in text
    assert f"queue General: general@{DOMAIN} (correspond), general-comment@{DOMAIN} (comment)" \
        in text
    assert f"SMTP gateway: 127.0.0.1:{srv.smtp_port}" in text
    assert "Outgoing mail: held, no smarthost configured (HUB_SMARTHOST)" in text
    assert f"Links in mail: http://127.0.0.1:{srv.port} (HUB_BASE_URL)" in text

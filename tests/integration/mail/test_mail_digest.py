"""Wiki digests go out like every other mail: through the outbox to the smarthost.

The digest lists only the changes in the subscriber's webs that they may view, is
recorded with the wiki in the same transaction it is queued, and is never queued
twice for the same changes; ``hub mail digest`` does the same on demand.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from mail_support import MailEnv, add_staff

from hub.accounts.queries import actor_for_name
from hub.actors import Actor
from hub.bootstrap import Hub
from hub.mail.cli import mail_group
from hub.mail.digest import send_digests
from hub.mail.tables import mail_outbox
from hub.wiki import commands as wc
from hub.wiki import queries as wq


def _actor(hub: Hub, name: str) -> Actor:
    with hub.engine.connect() as conn:
        actor = actor_for_name(conn, name, "web")
    assert actor is not None
    return actor


def _outbox(hub: Hub) -> list[sa.Row[object]]:
    with hub.engine.connect() as conn:
        return list(conn.execute(sa.select(mail_outbox).order_by(mail_outbox.c.id)).all())


def _subscribed_bob(mail: MailEnv) -> tuple[Actor, Actor]:
    add_staff(mail.hub, "alice", "alice@example.com")
    add_staff(mail.hub, "bob", "bob@example.com")
    alice, bob = _actor(mail.hub, "alice"), _actor(mail.hub, "bob")
    mail.hub.bus.handle(wc.Subscribe(web="Ops"), bob)
    return alice, bob


def test_a_subscribers_digest_reaches_the_smarthost(mail: MailEnv) -> None:
    hub = mail.hub
    alice, _ = _subscribed_bob(mail)
    hub.bus.handle(wc.SavePage(web="Ops", topic="DiskFull", text="df -h", base_revision=0,
                               summary="first aid"), alice)
    hub.bus.handle(wc.SavePage(web="Ops", topic="Secret", base_revision=0,
                               text="s\n   * Set ALLOWTOPICVIEW = alice\n"), alice)
    hub.bus.handle(wc.SavePage(web="Sandbox", topic="Elsewhere", text="x", base_revision=0),
                   alice)
    assert send_digests(hub) == 1
    assert send_digests(hub) == 0  # recorded: nothing new for bob
    messages = [(r, m) for _, r, m in mail.flush(expect=1)]
    assert [r for r, _ in messages] == [["bob@example.com"]]
    message = messages[0][1]
    text = message.get_content()
    assert "Ops.DiskFull r1 by alice: first aid" in text
    assert "Secret" not in text and "Elsewhere" not in text
    assert message["Subject"] == "Wiki digest: 1 change(s)"
    assert message["Auto-Submitted"] == "auto-generated"
    (row,) = _outbox(hub)
    assert row.kind == "wiki_digest" and row.recipient == "bob@example.com"
    assert row.dedupe_key.startswith("wiki-digest:bob:")


def test_a_digest_without_viewable_changes_sends_nothing(mail: MailEnv) -> None:
    hub = mail.hub
    alice, _ = _subscribed_bob(mail)
    hub.bus.handle(wc.SavePage(web="Ops", topic="Secret", base_revision=0,
                               text="s\n   * Set ALLOWTOPICVIEW = alice\n"), alice)
    with hub.engine.connect() as conn:
        ((_, before),) = wq.digests_due(conn, hub.store.last_position(conn))
    assert send_digests(hub) == 0
    assert _outbox(hub) == []
    with hub.engine.connect() as conn:  # recorded all the same: bob moved on
        assert all(upto > before for _, upto in wq.digests_due(
            conn, hub.store.last_position(conn)))


def test_hub_mail_digest_sends_now(mail: MailEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    hub = mail.hub
    alice, _ = _subscribed_bob(mail)
    hub.bus.handle(wc.SavePage(web="Ops", topic="Backup", text="b", base_revision=0), alice)
    settings = hub.settings
    monkeypatch.setenv("HUB_DATA_DIR", str(Path(settings.data_dir)))
    monkeypatch.setenv("HUB_DATABASE_URL", "")
    monkeypatch.setenv("HUB_SECRET_KEY", "test-secret")
    monkeypatch.setenv("HUB_MAIL_DOMAIN", settings.mail_domain)
    monkeypatch.setenv("HUB_SMARTHOST", settings.smarthost)
    mail.hub.settings = replace(settings, smarthost="")  # only the command may send
    result = CliRunner().invoke(mail_group, ["digest"])
    assert result.exit_code == 0, result.output
    assert "queued 1 digest(s)" in result.output
    sent = [r for _, r, _ in mail.sink.messages()]
    assert sent == [["bob@example.com"]]
    assert [r.state for r in _outbox(hub)] == ["sent"]

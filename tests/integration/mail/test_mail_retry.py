"""A message that fails is kept with its error and processed again after a fix."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from mail_support import DOMAIN, MailEnv, make_mail

from hub.actors import system_actor
from hub.cli import main
from hub.tickets import commands as tc


def test_failed_message_is_retried_after_a_fix(mail: MailEnv,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    mail.hub.bus.handle(tc.CreateQueue(name="Staff", address=f"staff@{DOMAIN}",
                                       customers_may_create=False), system_actor("cli"))
    mail.send(make_mail("let me in", "x", msgid="<retry@example.com>", to=f"staff@{DOMAIN}"),
              rcpts=[f"staff@{DOMAIN}"])
    (row,) = mail.wait_processed(1)
    assert row.state == "failed" and "CreateTicket" in row.error
    # Not silent: an admin-queue ticket holds the original until someone fixes the cause.
    (held,) = mail.tickets()
    assert held.queue == "Mail-Errors" and row.result == {"action": "admin_queue",
                                                          "ticket_id": held.id}
    mail.hub.bus.handle(tc.ChangeQueue(name="Staff", changes={"customers_may_create": True}),
                        system_actor("cli"))
    settings = mail.hub.settings
    env = {"HUB_DATA_DIR": str(settings.data_dir), "HUB_SECRET_KEY": settings.secret_key,
           "HUB_MAIL_DOMAIN": settings.mail_domain, "HUB_DATABASE_URL": ""}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    result = CliRunner().invoke(main, ["mail", "retry", str(row.id)])
    assert result.exit_code == 0, result.output
    assert "processed" in result.output
    (_, ticket) = mail.tickets()
    assert ticket.queue == "Staff"
    again = CliRunner().invoke(main, ["mail", "retry"])
    assert again.exit_code != 0 and "no failed message" in again.output

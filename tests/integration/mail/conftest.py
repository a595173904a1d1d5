"""Fixtures for the mail integration tests: a real gateway and a sink smarthost."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest
from aiosmtpd.controller import Controller
from mail_support import FIXTURES, MailEnv, Sink, free_port
from served import serve

from hub.bootstrap import Hub
from hub.mail.gateway import start_gateway
from hub.mail.notifier import MailNotifier
from hub.reactors import run_once


@pytest.fixture
def sink() -> Iterator[tuple[Sink, int]]:
    handler = Sink()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


@pytest.fixture
def mail(hub: Hub, sink: tuple[Sink, int]) -> Iterator[MailEnv]:
    handler, sink_port = sink
    hub.settings = replace(hub.settings, smarthost=f"127.0.0.1:{sink_port}")
    notifier = next(r for r in hub.reactors if isinstance(r, MailNotifier))
    run_once(hub, notifier)  # a reactor starts at the head: set it before mail arrives
    port = free_port()
    stop = start_gateway(hub, "127.0.0.1", port)
    yield MailEnv(hub, port, handler, notifier)
    stop()


__all__ = ["serve"]  # the ``hub serve`` fixture, for every mail test


@pytest.fixture
def fixture_mail() -> Callable[[str], bytes]:
    return lambda name: (FIXTURES / name).read_bytes()

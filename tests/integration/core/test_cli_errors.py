"""What a person can act on is one line, never a traceback: a port in use, a database
that cannot be reached or was never set up. Real processes, real sockets."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hub_support import free_port

TIMEOUT = 120


def hub_cli(tmp: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(HUB_DATA_DIR=str(tmp / "var"), HUB_SECRET_KEY="test-secret",
               HUB_MAIL_DOMAIN="hub.test", **extra)
    return subprocess.run([sys.executable, "-m", "hub.cli", *args], env=env, text=True,
                          capture_output=True, timeout=TIMEOUT, check=False)


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 1, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr + done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), done.stderr
    return lines[0]


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield int(listener.getsockname()[1])


def test_serve_on_a_taken_http_port_says_so_in_one_line(tmp_path: Path,
                                                         taken_port: int) -> None:
    done = hub_cli(tmp_path, "serve", "--http", f"127.0.0.1:{taken_port}", "--no-smtp",
                   "--no-scheduler")
    line = one_line_error(done)
    assert f"127.0.0.1:{taken_port} is already in use" in line and "--http" in line
    assert "OpsHub web and API" not in done.stdout  # nothing was started


def test_serve_on_a_taken_smtp_port_names_the_smtp_option(tmp_path: Path,
                                                          taken_port: int) -> None:
    done = hub_cli(tmp_path, "serve", "--http", f"127.0.0.1:{free_port()}", "--smtp",
                   f"127.0.0.1:{taken_port}", "--no-scheduler")
    line = one_line_error(done)
    assert f"127.0.0.1:{taken_port} is already in use" in line and "--smtp" in line


def test_a_malformed_bind_address_is_one_line(tmp_path: Path) -> None:
    line = one_line_error(hub_cli(tmp_path, "serve", "--http", "localhost", "--no-smtp"))
    assert "--http wants HOST:PORT" in line


UNREACHABLE = "postgresql+psycopg://hub:not-shown-pw@127.0.0.1:{port}/hub"


@pytest.mark.parametrize("args", [("init",), ("serve", "--no-smtp", "--no-scheduler"),
                                  ("mail", "list")])  # core, serve, a feature's command
def test_an_unreachable_database_is_one_line_for_every_command(
        tmp_path: Path, args: tuple[str, ...]) -> None:
    url = UNREACHABLE.format(port=free_port())  # nothing listens there
    extra = ["--http", f"127.0.0.1:{free_port()}"] if args[0] == "serve" else []
    done = hub_cli(tmp_path, *args, *extra, HUB_DATABASE_URL=url)
    line = one_line_error(done)
    assert "cannot use postgresql+psycopg://hub:***@127.0.0.1:" in line
    assert "refused" in line.lower()
    assert "not-shown-pw" not in done.stderr + done.stdout


def test_a_database_never_set_up_says_to_run_init(tmp_path: Path) -> None:
    line = one_line_error(hub_cli(tmp_path, "user", "list"))
    assert "is not set up" in line and "hub init" in line

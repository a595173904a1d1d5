"""Fixtures that start real outside systems (HTTP backends, HAProxy) on 127.0.0.1."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from ops_support import HaproxyEnv, free_port, name_server, port_open, wait_for

HAPROXY_CFG = """\
global
    stats socket {sock} level admin
    maxconn 200

defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s

frontend fe
    bind 127.0.0.1:{port}
    default_backend web

backend web
    balance roundrobin
{servers}
"""


@pytest.fixture
def haproxy_env(tmp_path: Path) -> Iterator[HaproxyEnv]:
    binary = shutil.which("haproxy") or ("/usr/sbin/haproxy" if os.path.exists(
        "/usr/sbin/haproxy") else None)
    if binary is None:
        pytest.skip("haproxy binary not installed (Debian package 'haproxy')")
    names = ["s1", "s2", "s3"]
    backends = [name_server(n) for n in names]
    threads = [threading.Thread(target=b.serve_forever, daemon=True) for b in backends]
    for t in threads:
        t.start()
    proc: subprocess.Popen[bytes] | None = None
    try:
        port = free_port()
        sock = str(tmp_path / "admin.sock")
        servers = "\n".join(
            f"    server {n} 127.0.0.1:{b.server_address[1]}"
            for n, b in zip(names, backends, strict=True)
        )
        cfg = tmp_path / "haproxy.cfg"
        cfg.write_text(HAPROXY_CFG.format(sock=sock, port=port, servers=servers))
        proc = subprocess.Popen(
            [binary, "-db", "-f", str(cfg)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        started = proc

        def up() -> bool:
            if started.poll() is not None:
                err = started.stderr.read().decode() if started.stderr else ""
                raise AssertionError(f"haproxy exited with {started.returncode}: {err}")
            return os.path.exists(sock) and port_open(port)

        wait_for(up, what="haproxy start")
        yield HaproxyEnv(frontend_port=port, socket_path=sock, backend="web", servers=names)
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stderr is not None:
                proc.stderr.close()
        for b in backends:
            b.shutdown()
            b.server_close()
        for t in threads:
            t.join(timeout=5)

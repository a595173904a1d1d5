"""HAProxy runtime API parsing and client behaviour against a scripted UNIX socket."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.drivers.base import HaproxySettings, OperationError, Pool, TargetNotAllowedError
from hub.drivers.haproxy import (
    HaproxyClient,
    LbDrain,
    parse_servers_state,
    parse_stat_csv,
)

HEADER = (
    "# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight "
    "srv_iweight srv_time_since_last_change srv_check_status srv_check_result "
    "srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id "
    "srv_fqdn srv_port srvrecord"
)


def state_reply(*rows: tuple[str, int, int]) -> str:
    lines = ["1", HEADER]
    for i, (name, op, admin) in enumerate(rows, 1):
        lines.append(f"3 web {i} {name} 127.0.0.1 {op} {admin} 1 1 5 1 0 0 0 0 0 0 - 80 -")
    return "\n".join(lines) + "\n\n"


STAT = (
    "# pxname,svname,qcur,qmax,scur,smax,slim,stot\n"
    "fe,FRONTEND,,,0,1,200,3\n"
    "web,s1,0,0,2,3,,10\n"
    "web,s2,0,0,0,1,,9\n"
    "web,BACKEND,0,0,2,3,20,19\n"
)


def test_parse_servers_state() -> None:
    states = parse_servers_state(state_reply(("s1", 2, 0), ("s2", 2, 8), ("s3", 0, 1)))
    assert states["s1"].healthy and not states["s1"].drained
    assert states["s2"].drained and not states["s2"].healthy
    assert states["s3"].in_maint and "maint" in states["s3"].describe()
    with pytest.raises(OperationError, match="No such backend"):
        parse_servers_state("No such backend.\n")


def test_parse_stat_csv() -> None:
    rows = parse_stat_csv(STAT)
    assert [(r["pxname"], r["svname"], r["scur"]) for r in rows][1] == ("web", "s1", "2")
    with pytest.raises(OperationError):
        parse_stat_csv("Unknown command\n")


class FakeHaproxy:
    """Answers one command per connection, as HAProxy's non-interactive mode does."""

    def __init__(self, path: Path, replies: dict[str, str]) -> None:
        self.replies = replies
        self.received: list[str] = []
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(str(path))
        self.sock.listen()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                cmd = conn.makefile("r").readline().strip()
                self.received.append(cmd)
                conn.sendall(self.replies.get(cmd, "Unknown command.\n").encode())

    def close(self) -> None:
        self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        self.thread.join(timeout=5)


@pytest.fixture
def fake(tmp_path: Path) -> Iterator[FakeHaproxy]:
    server = FakeHaproxy(tmp_path / "admin.sock", {
        "show servers state web": state_reply(("s1", 2, 0), ("s2", 2, 0)),
        "set server web/s1 state drain": "\n",
        "set server web/s2 state drain": "No such server.\n",
        "show stat": STAT,
    })
    yield server
    server.close()


def test_client_errors_and_empty_success(fake: FakeHaproxy, tmp_path: Path) -> None:
    client = HaproxyClient(str(tmp_path / "admin.sock"))
    client.set_state("web", "s1", "drain")
    with pytest.raises(OperationError, match="No such server"):
        client.set_state("web", "s2", "drain")
    assert client.current_sessions("web", "s1") == 2
    with pytest.raises(OperationError, match="separators"):
        client.command("show stat; shutdown sessions")
    with pytest.raises(OperationError, match="socket"):
        HaproxyClient(str(tmp_path / "missing.sock")).command("show info")


def test_drain_plan_and_member_check(fake: FakeHaproxy, tmp_path: Path) -> None:
    pool = Pool(name="web", driver="haproxy", members=("s1", "s2"),
                haproxy=HaproxySettings(str(tmp_path / "admin.sock"), "web"))
    drain = LbDrain({"web": pool})
    plan = drain.plan({"pool": "web", "server": "s1"})
    assert plan.changes == ["web/s1: state -> drain"]
    assert plan.current["s1"]["admin_state"] == 0
    with pytest.raises(TargetNotAllowedError):
        drain.plan({"pool": "web", "server": "s3"})
    ipvs_pool = Pool(name="lvs", driver="ipvs", members=("s1",))
    with pytest.raises(TargetNotAllowedError, match="driver"):
        LbDrain({"lvs": ipvs_pool}).plan({"pool": "lvs", "server": "s1"})
    assert fake.received[0] == "show servers state web"

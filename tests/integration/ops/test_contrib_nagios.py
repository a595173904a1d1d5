"""The contrib Nagios commands forward custom variables, so parent/child incidents work.

Nagios 4 has no ``$HOSTPARENTS$`` macro; the host custom variable ``_PARENTS``
(``$_HOSTPARENTS$``) carries the topology. Each command line of
``contrib/nagios/commands.cfg`` is expanded here as Nagios would (macros replaced
before ``/bin/sh`` runs it) and run with the real curl against a real ``hub serve``;
the env-macro script gets the variables as Nagios exports them (``NAGIOS__HOST...``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests
from hub_support import add_user, make_token

ROOT = Path(__file__).resolve().parents[3]
NAGIOS = Path(os.environ.get("HUB_SHARED_DIR") or ROOT.parent / "shared") / "data" / "nagios"


def command_line(name: str) -> str:
    text = (ROOT / "contrib" / "nagios" / "commands.cfg").read_text()
    block = text.split(f"command_name    {name}\n", 1)[1]
    return block.split("command_line", 1)[1].split("\n", 1)[0].strip()


def expand(line: str, macros: dict[str, str]) -> str:
    return re.sub(r"\$([A-Z0-9_]+)\$", lambda m: macros.get(m.group(1), ""), line)


def captured(prefix: str) -> dict[str, str]:
    path = next((NAGIOS / "json").glob(f"{prefix}-*.json"))
    return {k: str(v) for k, v in json.loads(path.read_text())["body_json"].items()}


def parents_of(srv: Any, token: str, ticket_id: int) -> list[int]:
    ticket = requests.get(f"{srv.url}/api/v1/tickets/{ticket_id}", timeout=10,
                          headers={"Authorization": f"Bearer {token}"}).json()
    return list(ticket["links"].get("parents", []))


def alert_ticket(srv: Any, token: str, host: str) -> int:
    rows = requests.get(f"{srv.url}/api/v1/alerts?host={host}&state=open", timeout=10,
                        headers={"Authorization": f"Bearer {token}"}).json()["alerts"]
    assert rows, f"no alert for {host}"
    return int(rows[-1]["ticket_id"])


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_plain_curl_commands_forward_parents(server: Any) -> None:
    srv, hub = server
    add_user(hub, "nagios", "staff")
    token = make_token(hub, "nagios")
    for name, macros in (("notify-host-by-opshub", captured("13")),  # edge-01 DOWN
                         ("notify-service-by-opshub", {**captured("01"),
                                                       "_HOSTPARENTS": "edge-01",
                                                       "_HOSTTEAM": "web"})):
        line = expand(command_line(name), {**macros, "USER10": token}).replace(
            "http://127.0.0.1:8080", srv.url)
        done = subprocess.run(["/bin/sh", "-c", line], capture_output=True, text=True,
                              timeout=60, check=False)
        assert done.returncode == 0, done.stderr
        assert '"action":"opened"' in done.stdout.replace(" ", "")
    edge, web = alert_ticket(srv, token, "edge-01"), alert_ticket(srv, token, "web-01")
    assert parents_of(srv, token, web) == [edge]


def test_env_script_forwards_every_custom_variable(server: Any, tmp_path: Path) -> None:
    srv, hub = server
    add_user(hub, "nagios", "staff")
    token = make_token(hub, "nagios")
    (tmp_path / "notify.conf").write_text(f"OPSHUB_URL={srv.url}\nOPSHUB_TOKEN={token}\n"
                                          "OPSHUB_SPOOL=\n")
    for macros in (captured("13"), {**captured("01"), "_HOSTPARENTS": "edge-01"}):
        env = {k: v for k, v in os.environ.items() if not k.startswith("NAGIOS_")}
        env.update({f"NAGIOS_{k}": v for k, v in macros.items()})
        done = subprocess.run([sys.executable, str(ROOT / "contrib" / "nagios" / "opshub-notify"),
                               "--config", str(tmp_path / "notify.conf")], env=env,
                              capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 0, done.stderr
    edge, web = alert_ticket(srv, token, "edge-01"), alert_ticket(srv, token, "web-01")
    assert parents_of(srv, token, web) == [edge]

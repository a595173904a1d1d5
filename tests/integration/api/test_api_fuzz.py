"""Schemathesis against the real server: no request the OpenAPI document allows gets a 500.

It drives every operation of ``/api/v1/openapi.json`` with generated valid and invalid
input, as an admin (who may reach every operation) and as a customer (who is refused
most of them), on a ``hub serve`` subprocess with some data in it. The example budget
is bounded so the run stays under two minutes here.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from hub_support import Server, add_user, make_token

from hub.bootstrap import Hub

EXAMPLES = int(os.environ.get("HUB_FUZZ_EXAMPLES", "5"))


def _seed(srv: Server, token: str) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    for n in range(3):
        r = requests.post(srv.url + "/api/v1/tickets", headers=auth, timeout=10, json={
            "queue": "General", "subject": f"Fuzz seed {n}", "body": "seed",
            "requestors": ["cora@example.com"]})
        assert r.status_code == 201, r.text
    r = requests.put(srv.url + "/api/v1/wiki/Main/FuzzSeed", headers=auth, timeout=10,
                     json={"text": "seed", "base_revision": 0})
    assert r.status_code in (200, 201), r.text


def _schemathesis(srv: Server, token: str, report: Path) -> subprocess.CompletedProcess[str]:
    st = Path(sys.executable).parent / "schemathesis"
    return subprocess.run(
        [str(st), "run", srv.url + "/api/v1/openapi.json",
         "--checks", "not_a_server_error", "--max-examples", str(EXAMPLES),
         "--seed", "20261202", "--request-timeout", "20", "--workers", "1",
         "--header", f"Authorization: Bearer {token}",
         "--report", "ndjson", "--report-ndjson-path", str(report),
         "--max-time", "60"],
        capture_output=True, text=True, timeout=400, check=False, cwd=report.parent,
        env={**os.environ, "NO_COLOR": "1"})


def _summary(output: str) -> tuple[int, int, int]:
    """(operations selected, operations tested, test cases generated) from the summary."""
    selected = re.search(r"Selected: (\d+)/(\d+)", output)
    tested = re.search(r"Tested: (\d+)", output)
    cases = re.search(r"(\d+) generated", output)
    assert selected and tested and cases, output[-3000:]
    return int(selected.group(2)), int(tested.group(1)), int(cases.group(1))


@pytest.mark.slow
@pytest.mark.parametrize("who", ["admin", "customer"])
def test_no_generated_request_gets_a_server_error(server: tuple[Server, Hub], who: str,
                                                  tmp_path: Path) -> None:
    srv, hub = server
    admin_token = make_token(hub, "admin")
    _seed(srv, admin_token)
    if who == "customer":
        add_user(hub, "cora", "customer", "cora@example.com")
        token = make_token(hub, "cora")
    else:
        token = admin_token
    report = tmp_path / "events.ndjson"
    result = _schemathesis(srv, token, report)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    operations, tested, cases = _summary(output)
    assert tested == operations and operations >= 30
    assert cases >= 500
    print(f"schemathesis as {who}: {cases} cases on {tested} operations, no server error")

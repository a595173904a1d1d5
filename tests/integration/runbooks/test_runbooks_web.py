"""The runbook and run pages: start form, step buttons with CSRF, live refresh."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from ops_support import HaproxyEnv
from runbooks_support import Env
from test_runbooks_haproxy import setup

from hub import create_app


def csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no csrf_token field"
    return found.group(1)


def login(env: Env, user: str) -> FlaskClient:
    client = create_app(env.hub).test_client()
    page = client.get("/login").get_data(as_text=True)
    password = "admin-password" if user == "admin" else "password123"
    r = client.post("/login", data={"username": user, "password": password,
                                    "csrf_token": csrf(page)})
    assert r.status_code in (302, 303), r.get_data(as_text=True)
    return client


def test_start_and_drive_a_run_from_the_pages(env: Env, lb: HaproxyEnv) -> None:
    setup(env, lb)
    ticket = env.ticket()
    alice, bob = login(env, "alice"), login(env, "bob")
    page = alice.get(f"/runbooks/Runbooks/DrainWebNode?ticket_id={ticket}&param.node=s3")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Drain the node" in html and "lb.drain" in html and 'value="s3"' in html
    token = csrf(html)
    r = alice.post("/runbooks/Runbooks/DrainWebNode/runs",
                   data={"csrf_token": token, "ticket_id": str(ticket), "param.node": "s9"})
    # refused: the form comes back with what was typed and the reason
    failed = r.get_data(as_text=True)
    assert r.status_code == 422 and "not a member" in failed
    assert 'value="s9"' in failed and f'value="{ticket}"' in failed
    r = alice.post("/runbooks/Runbooks/DrainWebNode/runs", data={"ticket_id": str(ticket),
                                                                 "param.node": "s3"})
    assert r.status_code == 400  # no CSRF token
    r = alice.post("/runbooks/Runbooks/DrainWebNode/runs",
                   data={"csrf_token": token, "ticket_id": str(ticket), "param.node": "s3"})
    assert r.status_code == 303
    run_url = r.headers["Location"]
    assert re.fullmatch(r"/runs/\d+", run_url)
    html = alice.get(run_url).get_data(as_text=True)
    # nothing is being applied: no reload that would wipe a reason being typed
    assert '<meta http-equiv="refresh"' not in html
    assert "web/s3: state -&gt; drain" in html
    assert ">Approve</button>" not in html  # the starter gets no approve button

    bob_html = bob.get(run_url).get_data(as_text=True)
    assert ">Approve</button>" in bob_html
    digest = re.search(r'name="plan_digest" value="(sha256:[0-9a-f]{64})"', bob_html)
    assert digest, "the approve form names the plan it approves"
    r = bob.post(f"{run_url}/steps/1/approve", data={"csrf_token": csrf(bob_html)})
    assert "plan_digest" in bob.get(run_url).get_data(as_text=True)  # refused without it
    r = bob.post(f"{run_url}/steps/1/approve", data={"csrf_token": csrf(bob_html),
                                                     "plan_digest": digest.group(1)})
    assert r.status_code == 303
    assert "approved by bob" in bob.get(run_url).get_data(as_text=True)
    r = alice.post(f"{run_url}/steps/1/approve", data={"csrf_token": token})
    assert "someone other than the person who started" in alice.get(run_url).get_data(
        as_text=True)
    alice.post(f"{run_url}/steps/1/apply", data={"csrf_token": token})
    alice.post(f"{run_url}/steps/2/apply", data={"csrf_token": token})
    html = alice.get(run_url).get_data(as_text=True)
    assert "completed" in html and '<meta http-equiv="refresh"' not in html
    assert "web/s3 set to drain" in html
    assert alice.get("/runs/999999").status_code == 404
    customer = login(env, "carol")
    assert customer.get(run_url).status_code == 403
    assert login(env, "admin").get("/runbooks/Runbooks/Missing").status_code == 404

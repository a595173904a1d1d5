"""The runbook pages: the index, a start form that keeps what was typed, the links
between runs, tickets and wiki pages, and nothing at all for customers and outsiders."""

from __future__ import annotations

import re
from typing import Any

from runbooks_support import Env
from test_runbooks_web import csrf, login

DEMO = "/runbooks/Runbooks/RestoreWebConfig"


def demo_run(env: Env, ticket: int) -> int:
    r = env.post("alice", "/api/v1/runbooks/Runbooks/RestoreWebConfig/runs",
                 {"ticket_id": ticket, "params": {}})
    assert r.status_code == 201, r.get_data()
    return int(r.get_json()["id"])


def text(response: Any) -> str:
    return str(response.get_data(as_text=True))


def test_the_index_lists_every_runbook_and_the_recent_runs(env: Env) -> None:
    ticket = env.ticket("demo-app broken")
    rid = demo_run(env, ticket)
    alice = login(env, "alice")
    r = alice.get("/runbooks")
    html = text(r)
    assert r.status_code == 200
    rows = dict(re.findall(r'<tr data-runbook="([^"]+)">(.*?)</tr>', html, re.S))
    assert {"Runbooks.RestoreWebConfig", "Runbooks.DrainWebNode"} <= set(rows)
    demo = rows["Runbooks.RestoreWebConfig"]
    assert 'href="/runbooks/Runbooks/RestoreWebConfig"' in demo
    assert 'href="/wiki/Runbooks/RestoreWebConfig"' in demo
    assert "Restore a web node&#39;s configuration from backup" in demo
    assert '<td class="num">5</td>' in demo  # steps
    assert "<code>node</code> (demo-web1) = demo-web1" in demo  # parameters with choices
    assert "<code>path</code>" in demo and "<code>snapshot</code>" in demo
    assert "step 1 needs configuration" in demo and "needs a ticket" in demo
    assert "<code>node</code> <span class=\"muted\">required</span>" in rows[
        "Runbooks.DrainWebNode"]
    [run_row] = re.findall(rf'<tr data-run="{rid}">(.*?)</tr>', html, re.S)
    assert f'href="/runs/{rid}"' in run_row and f'href="/tickets/{ticket}"' in run_row
    assert "run-failed" in run_row and "at step 1" in run_row and "alice" in run_row
    assert "0/5" in run_row
    # a topic without op blocks is no runbook
    assert "Runbooks.WebHome" not in rows
    # started from a ticket, the links carry it to the runbook's start form
    picked = text(alice.get(f"/runbooks?ticket_id={ticket}"))
    assert f'href="/runbooks/Runbooks/RestoreWebConfig?ticket_id={ticket}"' in picked
    form = text(alice.get(f"{DEMO}?ticket_id={ticket}"))
    assert f'id="ticket_id" name="ticket_id" inputmode="numeric" value="{ticket}"' in form


def test_the_start_form_keeps_what_was_typed_when_it_fails(env: Env) -> None:
    ticket = env.ticket()
    alice = login(env, "alice")
    page = text(alice.get(DEMO))
    # declared parameters with their choices and defaults
    assert '<option selected>demo-web1</option>' in page
    assert 'name="param.path" value="/etc/demo-app/app.conf"' in page
    assert "Needs configuration: unknown pool &#39;web&#39;: declare it under [[lb_pools]]" \
        in page
    r = alice.post(f"{DEMO}/runs", data={
        "csrf_token": csrf(page), "ticket_id": str(ticket), "param.node": "demo-web1",
        "param.path": "/etc/demo app.conf", "param.snapshot": "daily.1"})
    html = text(r)
    assert r.status_code == 422
    assert "The run was not started: parameter &#39;path&#39;: does not match" in html
    assert 'name="param.path" value="/etc/demo app.conf"' in html
    assert 'name="param.snapshot" value="daily.1"' in html
    assert f'name="ticket_id" inputmode="numeric" value="{ticket}"' in html
    r = alice.post(f"{DEMO}/runs", data={"csrf_token": csrf(page), "ticket_id": "12a",
                                         "param.snapshot": "daily.0"})
    assert r.status_code == 422 and "The ticket is a number" in text(r)
    assert 'name="param.snapshot" value="daily.0"' in text(r)
    # a step notes on the ticket: without one the run is refused, the input stays
    r = alice.post(f"{DEMO}/runs", data={"csrf_token": csrf(page), "ticket_id": "",
                                         "param.snapshot": "daily.1"})
    assert r.status_code == 422 and "needs a linked ticket" in text(r)
    assert 'name="param.snapshot" value="daily.1"' in text(r)
    r = alice.post(f"{DEMO}/runs", data={"csrf_token": csrf(page), "ticket_id": str(ticket),
                                         "param.snapshot": "daily.1"})
    assert r.status_code == 303 and re.fullmatch(r"/runs/\d+", r.headers["Location"])


def test_runs_are_linked_from_their_ticket_and_their_wiki_page(env: Env) -> None:
    r = env.post("alice", "/api/v1/tickets", {"queue": "General", "subject": "app down",
                                              "body": "help", "requestors":
                                              ["carol@example.com"]})
    ticket = int(r.get_json()["id"])
    rid = demo_run(env, ticket)
    alice = login(env, "alice")
    ticket_page = text(alice.get(f"/tickets/{ticket}"))
    assert 'id="h-ticket-runs"' in ticket_page
    assert f'href="/runs/{rid}"' in ticket_page and "Runbooks.RestoreWebConfig" in ticket_page
    assert f'href="/runbooks?ticket_id={ticket}"' in ticket_page
    run_page = text(alice.get(f"/runs/{rid}"))
    assert f'href="/tickets/{ticket}"' in run_page
    assert 'href="/wiki/Runbooks/RestoreWebConfig"' in run_page
    assert "Cannot plan: unknown pool &#39;web&#39;" in run_page
    assert "runs only when step 1 verified" in run_page
    wiki = text(alice.get("/wiki/Runbooks/RestoreWebConfig"))
    assert 'href="/runbooks/Runbooks/RestoreWebConfig"' in wiki
    assert 'href="/runbooks/Runbooks/RestoreWebConfig#h-runs"' in wiki
    assert "only when step 1 verified" in wiki
    runbook_page = text(alice.get(DEMO))
    assert f'href="/runs/{rid}"' in runbook_page
    # the customer who asked sees their ticket, never its runs
    carol = login(env, "carol")
    theirs = carol.get(f"/tickets/{ticket}")
    assert theirs.status_code == 200 and "h-ticket-runs" not in text(theirs)
    assert f"/runs/{rid}" not in text(theirs)


def test_driving_the_run_page_tells_who_skipped_what_and_why(env: Env) -> None:
    ticket = env.ticket()
    rid = demo_run(env, ticket)
    alice = login(env, "alice")
    page = text(alice.get(f"/runs/{rid}"))
    token = csrf(page)
    assert 'id="reason-1" name="reason" required' in page  # a skip needs a reason
    assert 'id="abort-reason" name="reason" required' in page
    alice.post(f"/runs/{rid}/steps/1/skip", data={"csrf_token": token,
                                                  "reason": "no load balancer here"})
    alice.post(f"/runs/{rid}/steps/2/apply", data={"csrf_token": token})
    page = text(alice.get(f"/runs/{rid}"))
    assert "Skipped by alice: no load balancer here" in page
    assert "Skipped by the run: condition not met: step 1 is skipped" in page
    r = alice.post(f"/runs/{rid}/abort", data={"csrf_token": token, "reason": ""})
    assert "aborting a run needs a reason" in text(alice.get(r.headers["Location"]))
    alice.post(f"/runs/{rid}/steps/4/apply", data={"csrf_token": token})
    page = text(alice.get(f"/runs/{rid}"))
    assert "run-completed_with_skips" in page and "3 step(s) did not run" in page
    assert 'action="/runs/' not in page  # finished: nothing left to press


def test_customers_and_outsiders_get_nothing(env: Env) -> None:
    rid = demo_run(env, env.ticket())
    anonymous = env.client
    for path in ("/runbooks", DEMO, f"/runs/{rid}"):
        r = anonymous.get(path)
        assert r.status_code in (302, 303) and "/login" in r.headers["Location"], path
    r = anonymous.post(f"{DEMO}/runs", data={"ticket_id": "1"})
    assert r.status_code in (302, 303, 400, 401, 403)
    carol = login(env, "carol")
    for path in ("/runbooks", DEMO, f"/runs/{rid}", "/runbooks?ticket_id=1"):
        r = carol.get(path)
        assert r.status_code == 403, path
        assert f"/runs/{rid}" not in text(r) and "RestoreWebConfig" not in text(r)
    page = text(carol.get("/"))
    r = carol.post(f"/runs/{rid}/abort", data={"csrf_token": csrf(page), "reason": "x"})
    assert r.status_code == 403
    assert env.get("alice", f"/api/v1/runs/{rid}").get_json()["status"] == "failed"

"""The demo runbook in Debian's chromium (headless), on a fresh ``hub init`` data dir.

The demo admin, with nothing configured, opens a ticket, finds the runbooks from it,
starts the demo runbook, skips the drain that has no load balancer (with a reason),
applies the rest, and sees the run end ``completed_with_skips``, the file restored
into the demo target and the note on the ticket. Screenshots land in
``test-artifacts/screenshots/`` for review.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hub_support import Server

from hub.runbooks.demo import DEMO_FILE, DEMO_HOST

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PASSWORD = "demo-admin-pw-1"



@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Server]:
    """``hub init`` then ``hub serve`` on an empty data dir, as a new user would."""
    data_dir = tmp_path / "var"
    env = {**os.environ, "HUB_DATA_DIR": str(data_dir), "HUB_DATABASE_URL": "",
           "HUB_ADMIN_PASSWORD": PASSWORD, "HUB_MAIL_DOMAIN": "hub.test"}
    for name in ("HUB_CONFIG", "HUB_BACKUP_ROOT", "HUB_RESTORE_TARGETS", "HUB_SECRET_KEY"):
        env.pop(name, None)
    done = subprocess.run([sys.executable, "-m", "hub.cli", "init"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    server = Server(data_dir, env)
    server.start("--no-scheduler", "--no-smtp")
    yield server
    server.stop()




def _shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _submit(page: Any, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def test_the_demo_runbook_runs_to_the_end_in_a_browser(fresh: Server, browser: Any) -> None:
    url = fresh.url
    page = browser.new_page()
    page.goto(f"{url}/login")
    page.fill("#username", "admin")
    page.fill("#password", PASSWORD)
    _submit(page, "main button[type=submit]")
    assert page.url == f"{url}/", page.inner_text("main")

    page.goto(f"{url}/tickets/new")
    page.fill("#n-subject", "demo-app configuration lost on demo-web1")
    page.fill("#n-body", "please restore it from last night's backup")
    _submit(page, "form:has(#n-subject) button[type=submit]")
    found = re.fullmatch(rf"{re.escape(url)}/tickets/(\d+)", page.url)
    assert found, page.url
    ticket = int(found.group(1))

    # from the ticket's Runs box to the runbooks index, then to the demo runbook
    _submit(page, f"a[href='/runbooks?ticket_id={ticket}']")
    assert "Runbooks.RestoreWebConfig" in page.inner_text("main")
    _shot(page, "runbooks-index")
    _submit(page, f"a[href='/runbooks/Runbooks/RestoreWebConfig?ticket_id={ticket}']")
    assert page.input_value("#ticket_id") == str(ticket)
    assert "Needs configuration: unknown pool 'web'" in page.inner_text("main")
    _shot(page, "runbooks-start")
    _submit(page, "form.start-run button[type=submit]")
    assert re.fullmatch(rf"{re.escape(url)}/runs/\d+", page.url), page.url
    run_url = page.url
    step1 = page.inner_text("#step-1")
    assert "failed" in step1 and "Cannot plan: unknown pool 'web': declare it under " \
        "[[lb_pools]]" in step1

    page.fill("#reason-1", "no load balancer on this demo install")
    _submit(page, "#step-1 form.step-skip button")
    assert "Skipped by admin: no load balancer on this demo install" in page.inner_text(
        "#step-1")
    _submit(page, "#step-2 form.step-apply button")
    assert "verified" in page.inner_text("#step-2 .step-state")
    assert "condition not met: step 1 is skipped" in page.inner_text("#step-3")
    _submit(page, "#step-4 form.step-apply button")
    page.goto(run_url)
    assert page.inner_text(".run-summary .run-status") == "completed_with_skips"
    assert "condition not met: step 3 is skipped" in page.inner_text("#step-5")
    _shot(page, "runbooks-run-done")

    restored = fresh.data_dir.resolve() / "restores" / DEMO_HOST / DEMO_FILE
    backup = fresh.data_dir.resolve() / "backups" / DEMO_HOST / "daily.0" / DEMO_FILE
    assert restored.read_text() == backup.read_text()

    page.goto(f"{url}/tickets/{ticket}")
    main = page.inner_text("main")
    assert f"/{DEMO_FILE} of {DEMO_HOST} restored from snapshot latest" in main
    assert "completed_with_skips" in page.inner_text("#h-ticket-runs ~ ul")
    _shot(page, "runbooks-ticket")

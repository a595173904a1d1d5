"""With the database unreachable, the API and the web pages answer 503 with a JSON
error and ``Retry-After`` (never 500), through the app ``hub serve`` runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from hub_support import free_port
from werkzeug.test import TestResponse

from hub import create_app
from hub.bootstrap import bootstrap
from hub.config import load_settings


@pytest.fixture
def client(tmp_path: Path) -> FlaskClient:
    nothing_listens = free_port()
    settings = load_settings(env={
        "HUB_DATA_DIR": str(tmp_path / "var"), "HUB_SECRET_KEY": "test-secret",
        "HUB_DATABASE_URL": f"postgresql+psycopg://hub:hub@127.0.0.1:{nothing_listens}/hub"})
    return create_app(bootstrap(settings)).test_client()


def _unavailable(response: TestResponse) -> None:
    assert response.status_code == 503, (response.status_code, response.data[:300])
    assert response.headers["Retry-After"].isdigit()
    assert int(response.headers["Retry-After"]) > 0
    body = response.get_json(silent=True)
    assert body is not None and "unavailable" in body["error"]


def test_api_reads_and_writes_answer_503_with_retry_after(client: FlaskClient) -> None:
    auth = {"Authorization": "Bearer some-token"}
    _unavailable(client.get("/healthz"))
    _unavailable(client.get("/api/v1/tickets", headers=auth))
    _unavailable(client.get("/api/v1/tickets/1", headers=auth))
    _unavailable(client.post("/api/v1/tickets", headers={**auth, "Idempotency-Key": "k1"},
                             json={"queue": "General", "subject": "disk full"}))


def test_a_web_page_that_needs_the_database_answers_503(client: FlaskClient) -> None:
    page = client.get("/login")
    assert page.status_code == 200  # the form itself needs no database
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert token is not None
    _unavailable(client.post("/login", data={"username": "admin", "password": "pw",
                                             "csrf_token": token.group(1)}))

"""The OpenAPI document and the health check, as served by a real ``hub serve``."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import hub_support as ROOT
import pytest
import requests

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
# CONTRACT.md, "HTTP API": every path and its methods
TICKET_API = {
    "/healthz": {"get"},
    "/api/v1/tickets": {"get", "post"},
    "/api/v1/tickets/{id}": {"get", "patch"},
    "/api/v1/tickets/{id}/correspond": {"post"},
    "/api/v1/tickets/{id}/comment": {"post"},
    "/api/v1/tickets/{id}/history": {"get"},
}
REST_OF_CONTRACT = {
    "/api/v1/search": {"get"},
    "/api/v1/events/nagios": {"post"},
    "/api/v1/events/alertmanager": {"post"},
    "/api/v1/events": {"post"},
    "/api/v1/events/keepalived": {"post"},
    "/api/v1/events/backuppc": {"post"},
    "/api/v1/wiki/{web}/{topic}": {"get", "put"},
    "/api/v1/wiki/{web}/{topic}/history": {"get"},
    "/api/v1/wiki/{web}/{topic}/diff": {"get"},
    "/api/v1/runbooks/{web}/{topic}/runs": {"post"},
    "/api/v1/runs/{id}": {"get"},
    "/api/v1/runs/{id}/steps/{n}/approve": {"post"},
    "/api/v1/runs/{id}/steps/{n}/apply": {"post"},
    "/api/v1/runs/{id}/steps/{n}/skip": {"post"},
}
CONTRACT_TICKET_KEYS = {"id", "version", "queue", "subject", "status", "owner", "priority",
                        "requestors", "created_at", "updated_at", "fields", "links"}




@dataclass
class Served:
    url: str
    token: str
    session: requests.Session


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("openapi")
    hub = ROOT.make_hub(tmp)
    env = {**os.environ, "HUB_DATA_DIR": str(tmp / "var"), "HUB_SECRET_KEY": "test-secret",
           "HUB_MAIL_DOMAIN": "hub.test", "HUB_DATABASE_URL": ""}
    srv = ROOT.Server(tmp / "var", env)
    session = requests.Session()
    try:
        srv.start("--no-scheduler", "--no-smtp")
        yield Served(srv.url, ROOT.make_token(hub, "admin"), session)
    finally:
        session.close()
        srv.stop()
        hub.engine.dispose()


@pytest.fixture(scope="module")
def document(served: Served) -> dict[str, Any]:
    r = served.session.get(served.url + "/api/v1/openapi.json", timeout=30,
                           headers={"Authorization": f"Bearer {served.token}"})
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    return dict(r.json())


def _resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), f"only local references expected: {ref}"
    node: Any = document
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and part in node, f"dangling $ref {ref}"
        node = node[part]
    return node


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def test_document_is_openapi_3(document: dict[str, Any]) -> None:
    assert re.fullmatch(r"3\.\d+\.\d+", document["openapi"])
    assert isinstance(document["info"]["title"], str) and document["info"]["title"]
    assert isinstance(document["info"]["version"], str)
    assert isinstance(document["paths"], dict) and document["paths"]
    for path in document["paths"]:
        assert path.startswith("/"), path
    try:
        from openapi_spec_validator import validate  # type: ignore[import-not-found]
    except ImportError:  # not installed here: the structural tests below stand in for it
        return
    validate(document)


def test_every_ticket_api_path_is_described_with_its_methods(document: dict[str, Any]) -> None:
    paths = document["paths"]
    missing = {p: sorted(m) for p, m in TICKET_API.items()
               if not m <= (set(paths.get(p, {})) & HTTP_METHODS)}
    assert missing == {}


def test_every_other_contract_path_is_described(document: dict[str, Any]) -> None:
    """CONTRACT.md: openapi.json describes everything in the HTTP API section."""
    paths = document["paths"]
    missing = {p: sorted(m) for p, m in REST_OF_CONTRACT.items()
               if not m <= (set(paths.get(p, {})) & HTTP_METHODS)}
    assert missing == {}


def test_operations_are_well_formed(document: dict[str, Any]) -> None:
    operation_ids: list[str] = []
    for path, item in document["paths"].items():
        templated = set(re.findall(r"{([^}]+)}", path))
        for method, op in item.items():
            if method not in HTTP_METHODS:
                continue
            where = f"{method.upper()} {path}"
            responses = op.get("responses")
            assert isinstance(responses, dict) and responses, where
            for code, response in responses.items():
                assert re.fullmatch(r"[1-5](\d\d|XX)|default", str(code)), (where, code)
                if "$ref" not in response:
                    assert isinstance(response.get("description"), str), (where, code)
            assert any(str(c).startswith("2") for c in responses), where
            params = [*item.get("parameters", []), *op.get("parameters", [])]
            params = [_resolve(document, p["$ref"]) if "$ref" in p else p for p in params]
            for p in params:
                assert p["in"] in {"query", "header", "path", "cookie"}, (where, p)
                assert isinstance(p["name"], str) and p["name"], where
                assert "schema" in p or "content" in p, (where, p)
            in_path = {p["name"] for p in params if p["in"] == "path"}
            assert in_path == templated, (where, in_path, templated)
            assert all(p.get("required") is True for p in params if p["in"] == "path"), where
            if "requestBody" in op:
                assert isinstance(op["requestBody"].get("content"), dict), where
            if "operationId" in op:
                operation_ids.append(op["operationId"])
    assert len(operation_ids) == len(set(operation_ids))


def test_references_resolve_and_schemas_match_the_contract(document: dict[str, Any]) -> None:
    for ref in set(_refs(document)):
        _resolve(document, ref)
    schemes = document["components"]["securitySchemes"]
    assert any(s.get("type") == "http" and s.get("scheme", "").lower() == "bearer"
               for s in schemes.values())
    for requirement in document.get("security", []):
        assert set(requirement) <= set(schemes)
    ticket = document["components"]["schemas"]["Ticket"]
    assert set(ticket["properties"]) >= CONTRACT_TICKET_KEYS
    entry = document["components"]["schemas"]["HistoryEntry"]
    assert {"position", "version", "type", "actor", "source", "at", "data"} <= set(
        entry["properties"])
    listing = document["components"]["schemas"]["TicketList"]
    assert {"tickets", "total"} <= set(listing["properties"])


def test_ticket_responses_carry_what_the_schema_requires(served: Served,
                                                         document: dict[str, Any]) -> None:
    auth = {"Authorization": f"Bearer {served.token}"}
    r = served.session.post(served.url + "/api/v1/tickets", headers=auth, timeout=30,
                            json={"queue": "General", "subject": "schema check"})
    assert r.status_code == 201, r.text
    required = document["components"]["schemas"]["Ticket"]["required"]
    assert set(required) <= set(r.json())
    operation = document["paths"]["/api/v1/tickets"]["post"]
    assert "201" in operation["responses"]


def test_healthz_needs_no_auth(served: Served, document: dict[str, Any]) -> None:
    r = served.session.get(served.url + "/healthz", timeout=30)
    assert r.status_code == 200
    assert r.json()["status"] == "ok"
    assert r.headers["Content-Type"].startswith("application/json")
    bad = served.session.get(served.url + "/healthz", timeout=30,
                             headers={"Authorization": "Bearer nonsense"})
    assert bad.status_code == 200
    assert document["paths"]["/healthz"]["get"].get("security") == []


def test_the_api_itself_needs_auth(served: Served) -> None:
    r = served.session.get(served.url + "/api/v1/tickets", timeout=30)
    assert r.status_code == 401
    assert "error" in r.json()


ADMINISTRATION = {
    "/api/v1/users": {"get", "post"},
    "/api/v1/users/{name}": {"patch"},
    "/api/v1/groups": {"get", "post"},
    "/api/v1/groups/{group}/members/{user}": {"put", "delete"},
    "/api/v1/queues": {"get", "post"},
    "/api/v1/queues/{name}": {"patch"},
    "/api/v1/grants": {"get", "post", "delete"},
}


def test_the_administration_api_is_described(document: dict[str, Any]) -> None:
    paths = document["paths"]
    missing = {p: sorted(m) for p, m in ADMINISTRATION.items()
               if not m <= (set(paths.get(p, {})) & HTTP_METHODS)}
    assert missing == {}
    grant = document["components"]["schemas"]["Grant"]
    assert set(grant["required"]) == {"right", "queue", "to"}
    assert "AdminQueue" in grant["properties"]["right"]["enum"]


def _shape(path: str) -> str:
    return re.sub(r"{[^}]+}", "{}", path)


def test_every_api_route_of_the_app_is_in_the_document_with_its_methods(
        tmp_path_factory: pytest.TempPathFactory, document: dict[str, Any]) -> None:
    """No drift: a route added to any blueprint without describing it fails here.

    Parameter names may differ (``{id}`` vs ``<int:ticket_id>``); a route variable
    may also be described by concrete paths (``.../steps/{n}/approve`` for
    ``<action>``), so each route is matched as a pattern against the document.
    """
    from hub import create_app

    app = create_app(ROOT.make_hub(tmp_path_factory.mktemp("drift")))
    described: dict[str, set[str]] = {}
    for path, item in document["paths"].items():
        described.setdefault(_shape(path), set()).update(set(item) & HTTP_METHODS)
    missing: dict[str, list[str]] = {}
    routes = 0
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        routes += 1
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        methods = {m.lower() for m in rule.methods or ()} - {"head", "options"}
        pattern = re.compile("^" + re.sub(r"\\{[^}]*\\}", r"[^/]+", re.escape(_shape(path)))
                             + "$")
        have = set(described.get(_shape(path), set()))
        for shape, ops in described.items():
            if pattern.match(shape.replace("{}", "x")):
                have |= ops
        if not methods <= have:
            missing[path] = sorted(methods - have)
    assert routes > 30  # the app really was inspected
    assert missing == {}

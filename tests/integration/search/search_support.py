"""A small world for the search tests: staff, customers, tickets and pages."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from hub import create_app
from hub.accounts import commands as ac
from hub.actors import Actor, system_actor
from hub.bootstrap import Hub
from hub.tickets import commands as tc
from hub.wiki import commands as wc

STAFF = Actor("alice", "alice@example.com", "staff", "api")


class SearchWorld:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.client: FlaskClient = create_app(hub).test_client()
        self.tokens: dict[str, str] = {}
        for name, role in (("alice", "staff"), ("carl", "customer"), ("dora", "customer")):
            hub.bus.handle(ac.CreateUser(name=name, email=f"{name}@example.com", role=role),
                           system_actor("cli"))
            self.tokens[name] = str(hub.bus.handle(ac.CreateToken(user=name, name="t"),
                                                   system_actor("cli"))["token"])
        hub.bus.handle(tc.CreateQueue(name="Helpdesk", custom_fields=[
            {"name": "Rack", "type": "text"},
            {"name": "CostCentre", "type": "text", "internal": True}]), system_actor())

    def ticket(self, subject: str, body: str, requestor: str, **kw: Any) -> int:
        result = self.hub.bus.handle(tc.CreateTicket(
            queue=kw.pop("queue", "Helpdesk"), subject=subject, body=body,
            requestors=[f"{requestor}@example.com"], **kw), STAFF)
        return int(result["id"])

    def page(self, web: str, topic: str, text: str, **kw: Any) -> None:
        self.hub.bus.handle(wc.SavePage(web=web, topic=topic, text=text, base_revision=0, **kw),
                            STAFF)

    def search(self, user: str, q: str, **params: str) -> list[dict[str, Any]]:
        response = self.client.get("/api/v1/search", query_string={"q": q, **params},
                                   headers={"Authorization": f"Bearer {self.tokens[user]}"})
        assert response.status_code == 200, response.get_json()
        return list(response.get_json()["hits"])

    def ids(self, user: str, q: str, **params: str) -> set[Any]:
        return {h["id"] for h in self.search(user, q, **params)}

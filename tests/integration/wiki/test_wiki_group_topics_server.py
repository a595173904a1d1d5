"""Against a real ``hub serve``: wiki admin comes from the role, never from a group topic.

The attack: a staff member creates ``Main.AdminGroup`` naming themselves (or edits an
existing group topic) and so reads and changes every restricted topic and executes
restricted runbooks.  They get 403 and gain nothing; an admin still manages groups,
and every change to a group topic shows in its history with who made it.
Also: out-of-range revisions and diffs answer 4xx with a JSON error, never 500.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
from hub_support import Server, add_user, make_token

from hub.bootstrap import Hub

TIMEOUT = 10
SECRET = "Ops/VaultRunbook"


class Wiki:
    def __init__(self, srv: Server, hub: Hub) -> None:
        self.srv = srv
        self.tokens = {"admin": make_token(hub, "admin")}
        for name in ("mallory", "sam"):
            add_user(hub, name, "staff")
            self.tokens[name] = make_token(hub, name)

    def call(self, who: str, method: str, path: str, **kw: Any) -> requests.Response:
        return requests.request(method, f"{self.srv.url}/api/v1/wiki/{path}", timeout=TIMEOUT,
                                headers={"Authorization": f"Bearer {self.tokens[who]}"}, **kw)

    def put(self, who: str, path: str, text: str, base: int = 0) -> requests.Response:
        return self.call(who, "PUT", path, json={"text": text, "base_revision": base})


@pytest.fixture
def wiki(server: tuple[Server, Hub]) -> Wiki:
    w = Wiki(*server)
    # A restricted topic only admins (and OpsGroup) may view, change or execute.
    restricted = ("secret vault steps\n   * Set ALLOWTOPICVIEW = AdminGroup, OpsGroup\n"
                  "   * Set ALLOWTOPICCHANGE = AdminGroup, OpsGroup\n"
                  "   * Set ALLOWTOPICEXECUTE = AdminGroup, OpsGroup\n")
    assert w.put("admin", SECRET, restricted).status_code == 201
    return w


def _gains_nothing(wiki: Wiki, who: str) -> None:
    assert wiki.call(who, "GET", SECRET).status_code == 404
    assert wiki.put(who, SECRET, "pwned", base=1).status_code in (403, 404)
    assert wiki.call(who, "GET", SECRET).status_code == 404
    assert wiki.call("admin", "GET", SECRET).json()["text"].startswith("secret vault steps")


def test_staff_creating_main_admin_group_gets_403_and_gains_nothing(wiki: Wiki) -> None:
    _gains_nothing(wiki, "mallory")
    for topic in ("AdminGroup", "OpsGroup", "Admingroup", "PwnGroup"):
        response = wiki.put("mallory", f"Main/{topic}", "   * Set GROUP = mallory\n")
        assert response.status_code == 403, (topic, response.text)
        assert response.json()["error"]
        assert wiki.call("admin", "GET", f"Main/{topic}").status_code == 404  # not created
    _gains_nothing(wiki, "mallory")
    # Renaming a topic of one's own onto a group topic is the same creation.
    assert wiki.put("mallory", "Main/MalloryNotes", "   * Set GROUP = mallory\n").status_code \
        == 201
    moved = wiki.call("mallory", "POST", "Main/MalloryNotes/rename", json={"to": "OpsGroup"})
    assert moved.status_code == 403 and moved.json()["error"]
    _gains_nothing(wiki, "mallory")


def test_a_group_topic_made_by_an_admin_grants_its_members_only(wiki: Wiki) -> None:
    created = wiki.put("admin", "Main/OpsGroup", "   * Set GROUP = sam\n")
    assert created.status_code == 201
    # sam is a member: the restricted topic opens to them (TWiki ACLs unchanged).
    assert wiki.call("sam", "GET", SECRET).status_code == 200
    # mallory edits the existing group topic to add herself: 403, nothing changes.
    edited = wiki.put("mallory", "Main/OpsGroup", "   * Set GROUP = sam, mallory\n", base=1)
    assert edited.status_code == 403 and edited.json()["error"]
    restored = wiki.call("mallory", "POST", "Main/OpsGroup/restore", json={"revision": 1})
    assert restored.status_code == 403
    assert wiki.call("mallory", "POST", "Main/OpsGroup/rename",
                     json={"to": "Main.OldOps"}).status_code == 403
    _gains_nothing(wiki, "mallory")
    # A member may not change the group either (admins manage groups).
    assert wiki.put("sam", "Main/OpsGroup", "   * Set GROUP = sam, mallory\n",
                    base=1).status_code == 403
    # The admin changes it; history says who changed the membership and when.
    assert wiki.put("admin", "Main/OpsGroup", "   * Set GROUP = sam, mallory\n",
                    base=1).status_code == 200
    assert wiki.call("mallory", "GET", SECRET).status_code == 200
    history = wiki.call("mallory", "GET", "Main/OpsGroup/history").json()["revisions"]
    assert [(r["revision"], r["author"]) for r in history] == [(2, "admin"), (1, "admin")]
    diff = wiki.call("mallory", "GET", "Main/OpsGroup/diff?from=1&to=2").json()
    assert "+   * Set GROUP = sam, mallory" in diff["unified"]


def test_a_main_admin_group_topic_never_makes_an_admin(wiki: Wiki) -> None:
    """Even one an admin wrote: wiki admin is the role."""
    assert wiki.put("admin", "Main/AdminGroup", "   * Set GROUP = sam\n").status_code == 201
    _gains_nothing(wiki, "sam")
    assert wiki.put("sam", "Main/AdminGroup", "   * Set GROUP = sam, mallory\n",
                    base=1).status_code == 403


ODD_REVISIONS = ["rev=99999999999999999999", "rev=4294967296", "rev=-1", "rev=1e99",
                 "rev=%C2%B2", "rev=0", "rev=" + "9" * 5000]
ODD_DIFFS = ["from=-1&to=1", "from=0&to=1e99", "from=1&to=99999999999999999999",
             "from=2147483648&to=1", "from=0&to=4294967296", "from=%C2%B2&to=1",
             "to=" + "9" * 5000]
#: Revision 1 is the current one of a one-revision topic: nothing to restore.
ODD_RESTORES = [0, -1, 2**31, 2**63, 10**30, 1]


def test_out_of_range_revisions_diffs_and_restores_are_4xx_json(wiki: Wiki) -> None:
    """One server for all cases (each a separate request and assertion)."""
    answers = [(q, wiki.call("admin", "GET", f"{SECRET}?{q}")) for q in ODD_REVISIONS]
    answers += [(q, wiki.call("admin", "GET", f"{SECRET}/diff?{q}")) for q in ODD_DIFFS]
    answers += [(str(n), wiki.call("admin", "POST", f"{SECRET}/restore",
                                   json={"revision": n})) for n in ODD_RESTORES]
    for case, response in answers:
        assert response.status_code in (400, 404, 409, 422), (case, response.status_code)
        assert response.json()["error"], case
    assert wiki.call("admin", "GET", f"{SECRET}?rev=1").json()["revision"] == 1


def test_pages_and_web_views_with_odd_revisions_do_not_500(wiki: Wiki) -> None:
    session = requests.Session()
    login = session.get(f"{wiki.srv.url}/login", timeout=TIMEOUT).text
    csrf = login.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    session.post(f"{wiki.srv.url}/login", timeout=TIMEOUT, data={
        "username": "admin", "password": "admin-password", "csrf_token": csrf})
    base = f"{wiki.srv.url}/wiki/{SECRET}"
    for url in (f"{base}?rev=99999999999999999999", f"{base}?rev=%C2%B2",
                f"{base}/diff?from=0&to=99999999999999999999", f"{base}/diff?from=%C2%B2",
                f"{base}/files/x?version=99999999999999999999"):
        assert session.get(url, timeout=TIMEOUT).status_code in (400, 404), url
    assert session.get(base, timeout=TIMEOUT).status_code == 200
    assert wiki.call("admin", "GET", f"{SECRET}/diff?from=0&to=1").status_code == 200

"""The administration API: users, groups and grants (queues live in ``hub.tickets.api``).

Admin role only, for reads too (the user list names every account). Entrypoints
only translate: the accounts feature's commands check the rules; this module maps
the contract's shapes (``queue`` and ``to`` for grants) onto them. Secrets never
leave: no password or token hash is in any answer.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, g, jsonify, request

from hub.accounts import commands as ac
from hub.accounts import queries as aq
from hub.domain import NotFoundError, PermissionDeniedError, StateConflictError, ValidationError
from hub.httpapi import BadRequestError, api_auth, hub_of, json_body
from hub.tickets import queries as tq

bp = Blueprint("admin_api", __name__, url_prefix="/api/v1")

USER_CREATE = {"name", "email", "role", "password", "display_name"}
USER_PATCH = {"email", "role", "disabled", "password", "display_name"}
CONTACT_PATCH = {"contacts", "quiet_hours"}
GRANT_KEYS = {"right", "queue", "to"}


def _admin_only() -> None:
    if g.actor.role != "admin":
        raise PermissionDeniedError("administration needs the admin role")


def _reject_unknown(body: dict[str, Any], allowed: set[str]) -> None:
    unknown = set(body) - allowed
    if unknown:
        raise BadRequestError(f"unknown fields: {sorted(unknown)}", allowed=sorted(allowed))


def _strings(body: dict[str, Any], *keys: str, required: tuple[str, ...] = ()) -> None:
    for key in keys:
        if key in body and not isinstance(body[key], str):
            raise BadRequestError(f"{key!r} must be a string")
    for key in required:
        if not body.get(key):
            raise BadRequestError(f"{key!r} is required")


def _created(document: dict[str, Any], location: str) -> Response:
    response = jsonify(document)
    response.status_code = 201
    response.headers["Location"] = location
    return response


# -- users ------------------------------------------------------------------------
def _user_document(conn: sa.Connection, info: aq.UserInfo) -> dict[str, Any]:
    return {"name": info.name, "email": info.email, "role": info.role,
            "display_name": info.display_name, "disabled": info.disabled,
            "source": info.source,  # "local" or "directory" (signs in against LDAP)
            "second_factor": aq.second_factor(conn, info.name).state,
            "has_password": aq.has_password(conn, info.name),
            "groups": aq.groups_of(conn, info.name),
            **aq.stored_contacts(conn, info.name)}  # only admins and the user reach this


def _user_response(name: str) -> dict[str, Any]:
    with hub_of().engine.connect() as conn:
        info = aq.user_by_name(conn, name)
        if info is None:
            raise NotFoundError(f"user {name} not found")
        return _user_document(conn, info)


@bp.get("/users")
@api_auth
def list_users() -> Response:
    _admin_only()
    with hub_of().engine.connect() as conn:
        return jsonify({"users": [_user_document(conn, u) for u in aq.list_users(conn)]})


@bp.get("/users/<name>")
@api_auth
def get_user(name: str) -> Response:
    """Admins see every user; anyone else only themselves (with their contacts)."""
    if g.actor.name != name:
        _admin_only()
    return jsonify(_user_response(name))


@bp.post("/users")
@api_auth
def create_user() -> Response:
    _admin_only()
    body = json_body()
    _reject_unknown(body, USER_CREATE)
    _strings(body, *USER_CREATE, required=("name", "email", "role"))
    hub_of().bus.handle(ac.CreateUser(
        name=body["name"], email=body["email"], role=body["role"],
        display_name=body.get("display_name", ""), password=body.get("password")), g.actor)
    return _created(_user_response(body["name"]), f"/api/v1/users/{body['name']}")


def _set_contacts(name: str, body: dict[str, Any]) -> None:
    """``contacts`` (merged; ``null`` removes one) and ``quiet_hours`` (``null``: none)."""
    if not CONTACT_PATCH & set(body):
        return
    contacts = body.get("contacts", {})
    if not isinstance(contacts, dict):
        raise BadRequestError("'contacts' must be an object {mail?, webhook?, xmpp?, sms?}")
    quiet = body.get("quiet_hours")
    if quiet is not None and not isinstance(quiet, dict):
        raise BadRequestError("'quiet_hours' must be an object or null")
    hub_of().bus.handle(ac.SetContacts(name=name, contacts=contacts, quiet_hours=quiet,
                                       keep_quiet_hours="quiet_hours" not in body), g.actor)


@bp.patch("/users/<name>")
@api_auth
def change_user(name: str) -> Response:
    """A new password or ``disabled: true`` ends the user's sessions and tokens at once.
    Users may change their own ``contacts`` and ``quiet_hours``; everything else is for
    admins."""
    everything = json_body()
    if g.actor.name != name or set(everything) - CONTACT_PATCH:
        _admin_only()
    _reject_unknown(everything, USER_PATCH | CONTACT_PATCH)
    if not everything:
        raise BadRequestError("nothing to change", allowed=sorted(USER_PATCH | CONTACT_PATCH))
    body = {k: v for k, v in everything.items() if k not in CONTACT_PATCH}
    _strings(body, "email", "role", "password", "display_name")
    if "disabled" in body and not isinstance(body["disabled"], bool):
        raise BadRequestError("'disabled' must be true or false")
    _set_contacts(name, everything)
    if not body:
        return jsonify(_user_response(name))
    hub_of().bus.handle(ac.ChangeUser(
        name=name, email=body.get("email"), role=body.get("role"),
        display_name=body.get("display_name"), disabled=body.get("disabled"),
        password=body.get("password")), g.actor)
    return jsonify(_user_response(name))


# -- groups -----------------------------------------------------------------------
def _group_document(name: str) -> dict[str, Any]:
    with hub_of().engine.connect() as conn:
        found = next((x for x in aq.list_groups(conn) if x.name == name.strip().lower()), None)
    if found is None:
        raise NotFoundError(f"group {name} not found")
    return {"name": found.name, "description": found.description,
            "members": list(found.members)}


@bp.get("/groups")
@api_auth
def list_groups() -> Response:
    _admin_only()
    with hub_of().engine.connect() as conn:
        groups = aq.list_groups(conn)
    return jsonify({"groups": [{"name": x.name, "description": x.description,
                                "members": list(x.members)} for x in groups]})


@bp.post("/groups")
@api_auth
def create_group() -> Response:
    _admin_only()
    body = json_body()
    _reject_unknown(body, {"name", "description"})
    _strings(body, "name", "description", required=("name",))
    result = hub_of().bus.handle(
        ac.CreateGroup(name=body["name"], description=body.get("description", "")), g.actor)
    return _created(_group_document(str(result["name"])), f"/api/v1/groups/{result['name']}")


def _member(group: str, user: str, add: bool) -> Response:
    _admin_only()
    with hub_of().engine.connect() as conn:
        if aq.user_by_name(conn, user) is None:
            raise NotFoundError(f"user {user} not found")
    hub_of().bus.handle(ac.ChangeGroupMember(group=group, user=user, add=add), g.actor)
    return jsonify(_group_document(group))


@bp.put("/groups/<group>/members/<user>")
@api_auth
def add_member(group: str, user: str) -> Response:
    return _member(group, user, True)


@bp.delete("/groups/<group>/members/<user>")
@api_auth
def remove_member(group: str, user: str) -> Response:
    return _member(group, user, False)


# -- grants -----------------------------------------------------------------------
def _grant_args() -> tuple[str, str, str]:
    """``{right, queue, to}`` from the JSON body (or, for DELETE, the query string)."""
    if request.method == "DELETE" and not request.get_data(cache=True):
        body: dict[str, Any] = {k: v for k, v in request.args.items() if k in GRANT_KEYS}
    else:
        body = json_body()
    _reject_unknown(body, GRANT_KEYS)
    _strings(body, *GRANT_KEYS, required=tuple(sorted(GRANT_KEYS)))
    return body["right"], body["queue"].strip(), body["to"].strip()


def _queue_names(conn: sa.Connection) -> dict[str, str]:
    return {i.key: i.name for i in tq.list_queues(conn, include_disabled=True)}


def _grant_document(names: dict[str, str], grant: aq.GrantInfo) -> dict[str, str]:
    return {"right": grant.right_name, "queue": names.get(grant.scope, grant.scope),
            "to": grant.principal}


def _existing(conn: sa.Connection, queue: str, to: str, right: str) -> bool:
    return any(x.principal == to and x.right_name == right
               for x in aq.grants_in(conn, [queue.lower()]))


@bp.get("/grants")
@api_auth
def list_grants() -> Response:
    _admin_only()
    with hub_of().engine.connect() as conn:
        names = _queue_names(conn)
        wanted = request.args.get("queue")
        scopes = [wanted.lower()] if wanted else [aq.GLOBAL, *names]
        grants = aq.grants_in(conn, scopes)
    return jsonify({"grants": [_grant_document(names, x) for x in grants]})


@bp.post("/grants")
@api_auth
def create_grant() -> Response:
    _admin_only()
    right, queue, to = _grant_args()
    _known_right(right)
    with hub_of().engine.connect() as conn:
        if _existing(conn, queue, to, right):
            raise StateConflictError("this grant exists already")
    hub_of().bus.handle(ac.GrantRight(scope=queue, principal=to, right=right), g.actor)
    return _created({"right": right, "queue": queue, "to": to}, "/api/v1/grants")


@bp.delete("/grants")
@api_auth
def delete_grant() -> Response:
    _admin_only()
    right, queue, to = _grant_args()
    _known_right(right)
    with hub_of().engine.connect() as conn:
        if not _existing(conn, queue, to, right):
            raise NotFoundError("no such grant")
    hub_of().bus.handle(ac.RevokeRight(scope=queue, principal=to, right=right), g.actor)
    return jsonify({"right": right, "queue": queue, "to": to, "revoked": True})


def _known_right(right: str) -> None:
    if right not in aq.QUEUE_RIGHTS:
        raise ValidationError(f"unknown right {right!r}", allowed=list(aq.QUEUE_RIGHTS))

"""Administration paths of the OpenAPI document: users, groups, queues, grants."""

from __future__ import annotations

from typing import Any

from hub.openapi.parts import BOOLEAN, STRING, obj_schema, operation, param

_ADMIN_ERRORS = ("400", "403", "404", "409", "422")
ROLE_ENUM = {"type": "string", "enum": ["admin", "staff", "customer"]}
RIGHT_ENUM = {"type": "string", "enum": [
    "SeeQueue", "ShowTicket", "CreateTicket", "ReplyToTicket", "CommentOnTicket",
    "ShowTicketComments", "ModifyTicket", "OwnTicket", "TakeTicket", "StealTicket",
    "ResolveTicket", "DeleteTicket", "ModifyCustomField", "SeeInternalFields", "AdminQueue"]}
PRINCIPAL = {"type": "string", "pattern": "^(group:.+|user:.+|role:(requestors|cc|admincc|owner))$",
             "description": "group:NAME, user:NAME or role:requestors|cc|admincc|owner"}
DURATION = {"type": "string", "description": "a duration such as 30s, 5m, 4h, 3d"}
NULLABLE_STRING = {"type": "string", "nullable": True}
NULLABLE_TIME = {"type": "string", "format": "date-time", "nullable": True}
SLA_POLICY = {"$ref": "#/components/schemas/SlaPolicy"}
ADMIN_SCHEMAS: dict[str, Any] = {
    "User": obj_schema(("name", "email", "role", "disabled"), name=STRING, email=STRING,
                 role=ROLE_ENUM,
                 display_name=STRING, disabled=BOOLEAN, has_password=BOOLEAN,
                 source={"type": "string", "enum": ["local", "directory"]},
                 second_factor={"type": "string", "enum": ["on", "pending", "off"]},
                 groups={"type": "array", "items": STRING},
                 contacts={"$ref": "#/components/schemas/Contacts"},
                 quiet_hours={"$ref": "#/components/schemas/QuietHours"}),
    "Contacts": obj_schema(mail=NULLABLE_STRING, webhook=NULLABLE_STRING, xmpp=NULLABLE_STRING,
                           sms=NULLABLE_STRING,
                           webhook_format={"type": "string", "enum": ["generic", "slack"]}),
    "QuietHours": {**obj_schema(("from", "to"), timezone=STRING, to=STRING,
                                **{"from": STRING}), "nullable": True},
    "UserList": obj_schema(("users",), users={"type": "array", "items": {
        "$ref": "#/components/schemas/User"}}),
    "NewUser": obj_schema(("name", "email", "role"), name=STRING, email=STRING, role=ROLE_ENUM,
                    password={"type": "string", "minLength": 8}, display_name=STRING),
    "UserPatch": obj_schema(email=STRING, role=ROLE_ENUM, disabled=BOOLEAN,
                      password={"type": "string", "minLength": 8}, display_name=STRING,
                      contacts={"$ref": "#/components/schemas/Contacts"},
                      quiet_hours={"$ref": "#/components/schemas/QuietHours"}),
    "Group": obj_schema(("name", "members"), name=STRING, description=STRING,
                  members={"type": "array", "items": STRING}),
    "GroupList": obj_schema(("groups",), groups={"type": "array", "items": {
        "$ref": "#/components/schemas/Group"}}),
    "NewGroup": obj_schema(("name",), name=STRING, description=STRING),
    "Queue": obj_schema(("name", "address", "comment_address", "lifecycle", "customers_may_create"),
                  name=STRING, description=STRING, address=STRING, comment_address=STRING,
                  lifecycle=STRING, customers_may_create=BOOLEAN, reopen_policy=STRING,
                  custom_fields={"type": "array", "items": {"type": "object"}},
                  disabled=BOOLEAN, add_cc_watchers=BOOLEAN, sla=SLA_POLICY,
                  escalation_policy=NULLABLE_STRING),
    "SlaPolicy": {**obj_schema(
        calendar={**STRING, "nullable": True}, response=DURATION, resolve=DURATION,
        warn_before=DURATION, pause_on={"type": "array", "items": STRING},
        by_priority={"type": "object", "description": "priority threshold 0-99 -> "
                     "{response?, resolve?}", "additionalProperties": obj_schema(
                         response=DURATION, resolve=DURATION)}), "nullable": True,
        "description": "business-time targets; null removes the queue's SLA"},
    "TicketSla": {**obj_schema(
        ("response_due", "resolve_due", "paused", "breached"),
        response_due=NULLABLE_TIME, resolve_due=NULLABLE_TIME, paused=BOOLEAN,
        breached={"type": "array", "items": {"type": "string",
                                             "enum": ["response", "resolve"]}}),
        "nullable": True},
    "QueueList": obj_schema(("queues",), queues={"type": "array", "items": {
        "$ref": "#/components/schemas/Queue"}}),
    "NewQueue": obj_schema(("name",), name=STRING, description=STRING, address=STRING,
                     comment_address=STRING, lifecycle={"type": "object"},
                     customers_may_create=BOOLEAN, reopen_policy=STRING,
                     custom_fields={"type": "array", "items": {"type": "object"}},
                     sla=SLA_POLICY, escalation_policy=NULLABLE_STRING),
    "QueuePatch": obj_schema(description=STRING, address=STRING, comment_address=STRING,
                       lifecycle={"type": "object"}, customers_may_create=BOOLEAN,
                       reopen_policy=STRING, disabled=BOOLEAN, add_cc_watchers=BOOLEAN,
                       custom_fields={"type": "array", "items": {"type": "object"}},
                       sla=SLA_POLICY, escalation_policy=NULLABLE_STRING),
    "Grant": obj_schema(("right", "queue", "to"), right=RIGHT_ENUM, queue={
        "type": "string", "description": "a queue name, or * for every queue"}, to=PRINCIPAL),
    "GrantList": obj_schema(("grants",), grants={"type": "array", "items": {
        "$ref": "#/components/schemas/Grant"}}),
    "OwnerChange": obj_schema(("action",), action={"type": "string", "enum": [
        "take", "untake", "steal", "assign"]}, owner=STRING),
    "WatcherChange": obj_schema(("role", "address"), role={"type": "string", "enum": [
        "requestors", "cc", "admincc"]}, address=STRING, remove=BOOLEAN),
    "LinkChange": obj_schema(("kind", "target"), kind=STRING, target={"type": "integer"},
                       remove=BOOLEAN),
    "Merge": obj_schema(("into",), into={"type": "integer"}),
    "TimeWorked": obj_schema(("minutes",), minutes={"type": "integer"}, user=STRING),
    "MailTemplate": obj_schema(("subject", "text"), subject=STRING, text=STRING,
                         html={"type": "string", "nullable": True}),
}
USER_NAME = param("name", "path")
GROUP_MEMBER = [param("group", "path"), param("user", "path")]
GRANT_QUERY = [param("right"), param("queue"), param("to")]
ADMIN_PATHS: dict[str, Any] = {
    "/api/v1/users": {
        "get": operation("every user (admin only)", schema="UserList", errors=("403",)),
        "post": operation("add a user; without a password they cannot log in until one is set",
                    "201", "NewUser", "User", errors=_ADMIN_ERRORS)},
    "/api/v1/users/{name}": {
        "get": operation("one user (admins, and the user themselves)", schema="User",
                   params=[USER_NAME],
                   errors=("403", "404")),
        "patch": operation("change a user; a new password or disabled ends their sessions and "
                     "tokens at once", body="UserPatch", schema="User", params=[USER_NAME],
                     errors=_ADMIN_ERRORS)},
    "/api/v1/groups": {
        "get": operation("every group with its members (admin only)", schema="GroupList",
                   errors=("403",)),
        "post": operation("add a group", "201", "NewGroup", "Group", errors=_ADMIN_ERRORS)},
    "/api/v1/groups/{group}/members/{user}": {
        "put": operation("add a member", schema="Group", params=GROUP_MEMBER, errors=_ADMIN_ERRORS),
        "delete": operation("remove a member", schema="Group", params=GROUP_MEMBER,
                      errors=_ADMIN_ERRORS)},
    "/api/v1/queues": {
        "get": operation("queues (admins: all; others: those they may see or open tickets in)",
                   schema="QueueList"),
        "post": operation("add a queue (admin only)", "201", "NewQueue", "Queue",
                    errors=_ADMIN_ERRORS)},
    "/api/v1/queues/{name}": {"patch": operation(
        "change a queue (admin only)", body="QueuePatch", schema="Queue",
        params=[param("name", "path")], errors=_ADMIN_ERRORS)},
    "/api/v1/grants": {
        "get": operation("grants, optionally of one queue (admin only)", schema="GrantList",
                   params=[param("queue")], errors=("403",)),
        "post": operation("grant a right; a grant to a group or user makes the queue managed",
                    "201", "Grant", "Grant", errors=_ADMIN_ERRORS),
        "delete": {**operation("revoke a right (JSON body, or the same keys in the query)",
                         schema="Grant", params=GRANT_QUERY, errors=_ADMIN_ERRORS),
                   "requestBody": {"required": False, "content": {"application/json": {
                       "schema": {"$ref": "#/components/schemas/Grant"}}}}}},
}

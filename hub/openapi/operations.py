"""Runbook-run and alert paths of the OpenAPI document."""

from __future__ import annotations

from hub.openapi.parts import ERROR, operation, param

TICKET_ID = param("id", "path", "integer")
ALERT_OK = {"202": {"description": "accepted", "content": {"application/json": {"schema": {
    "$ref": "#/components/schemas/AlertResult"}}}}}

RUN_ID = param("id", "path", "integer")
STEP_N = param("n", "path", "integer")
RUNBOOK_PATH = [param("web", "path"), param("topic", "path")]
RUNBOOK_SCHEMAS = {
    "NewRun": {"type": "object", "properties": {
        "ticket_id": {"type": "integer", "nullable": True},
        "params": {"type": "object", "additionalProperties": {"type": "string"}}}},
    "RunStep": {"type": "object", "required": [
        "n", "name", "action", "state", "plan", "output", "approved_by"], "properties": {
        "n": {"type": "integer", "minimum": 1}, "name": {"type": "string"},
        "action": {"type": "string", "enum": ["lb.drain", "lb.ready", "vip.failover",
                                              "backup.restore", "ticket.comment",
                                              "ticket.status"]},
        "state": {"type": "string", "enum": ["planned", "approved", "applied", "verified",
                                             "failed", "skipped"]},
        "plan": {"type": "object", "nullable": True}, "output": {"type": "string"},
        "approved_by": {"type": "string", "nullable": True},
        "plan_digest": {"type": "string", "nullable": True},
        "when": {"type": "string", "nullable": True,
                 "description": "the step's condition, e.g. 'step 1 verified'"},
        "plan_error": {"type": "string", "nullable": True},
        "skipped_by": {"type": "string", "nullable": True,
                       "description": "who skipped it; 'runbook' when its condition did not "
                                      "hold"},
        "skip_reason": {"type": "string", "nullable": True},
        "inverse": {"type": "object", "nullable": True}}},
    "Approval": {"type": "object", "required": ["plan_digest"], "properties": {
        "plan_digest": {"type": "string"}}},
    "Skip": {"type": "object", "required": ["reason"], "properties": {
        "reason": {"type": "string"}}},
    "Abort": {"type": "object", "required": ["reason"], "properties": {
        "reason": {"type": "string"}}},
    "Run": {"type": "object", "required": ["id", "runbook", "revision", "ticket_id", "status",
                                           "steps"], "properties": {
        "id": {"type": "integer"}, "runbook": {"type": "string"},
        "revision": {"type": "integer"}, "ticket_id": {"type": "integer", "nullable": True},
        "status": {"type": "string", "enum": ["running", "failed", "completed",
                                              "completed_with_skips", "aborted"]},
        "started_by": {"type": "string"},
        "started_at": {"type": "string", "nullable": True},
        "finished_at": {"type": "string", "nullable": True},
        "failed_step": {"type": "integer", "nullable": True},
        "abort_reason": {"type": "string", "nullable": True},
        "steps": {"type": "array", "items": {"$ref": "#/components/schemas/RunStep"}}}},
}
_STEP_ERRORS = ("403", "404", "409", "422")
RUNBOOK_PATHS = {
    "/api/v1/runbooks/{web}/{topic}/runs": {"post": operation(
        "start a run of a runbook topic (steps are planned at once)", "201", "NewRun", "Run",
        RUNBOOK_PATH, ("400", "403", "404", "422"))},
    "/api/v1/runs/{id}": {"get": operation("a run with its steps", schema="Run", params=[RUN_ID],
                                     errors=("403", "404"))},
    **{f"/api/v1/runs/{{id}}/steps/{{n}}/{action}": {"post": operation(
        summary, schema="Run", body=body, params=[RUN_ID, STEP_N], errors=_STEP_ERRORS)}
       for action, summary, body in (
           ("plan", "dry-run a step again", None),
           ("approve", "approve the plan a step shows (not by the person who started the run)",
            "Approval"),
           ("apply", "apply a step, then verify it", None),
           ("skip", "skip a step, with a reason (someone else than the starter where the step "
                    "needs approval)", "Skip"),
           ("inverse", "run the inverse of a failed step", None))},
    "/api/v1/runs/{id}/abort": {"post": operation(
        "abort a running or failed run, with a reason (422 without)", schema="Run",
        body="Abort", params=[RUN_ID], errors=("400", "403", "404", "409", "422"))},
    "/api/v1/runs": {"get": operation("runs and suggested runbooks of a ticket", params=[
        param("ticket_id", kind="integer"), param("runbook")], errors=("400", "403", "404"))},
    "/api/v1/runbooks/{web}/{topic}/suggestions": {"post": operation(
        "suggest a runbook on a ticket (alert routing)", "201", None, None, RUNBOOK_PATH,
        ("400", "404", "422"))},
}
ALERT_PATHS = {
    "/api/v1/alerts": {"get": operation("alerts and their tickets", errors=("400", "403"))},
    "/api/v1/alerts/{ticket_id}/graph.png": {"get": {
        "summary": "PNG graph of the alert's metric around the alert time, one kind of "
                   "unit per graph (unit: seconds, bytes, percent, count or value)",
        "parameters": [param("ticket_id", "path", "integer"), param("hours", kind="integer"),
                       param("unit")],
        "responses": {"200": {"description": "PNG", "content": {"image/png": {}}},
                      "400": ERROR, "401": ERROR, "404": ERROR}}},
    "/api/v1/alerts/{ticket_id}/ack": {"post": {
        **operation("acknowledge the ticket's open Nagios problems (ModifyTicket); confirmed "
              "later from Nagios's status", "202",
              params=[param("ticket_id", "path", "integer")],
              errors=("400", "403", "404", "409")),
        "requestBody": {"required": False, "content": {"application/json": {"schema": {
            "type": "object", "properties": {"comment": {"type": "string"}}}}}}}},
    "/api/v1/metrics/hub.png": {"get": {
        "summary": "PNG graph of the alerts, tickets and mails the hub counted, per minute, "
                   "hour or day (per), the running one included",
        "parameters": [param("hours", kind="integer"), param("per")],
        "responses": {"200": {"description": "PNG", "content": {"image/png": {}}},
                      "400": ERROR, "401": ERROR, "403": ERROR}}},
}



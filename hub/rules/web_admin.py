"""The rules page (``/admin/rules``): every rule with what it does and its last firings.

Staff may read it (they should know what automation does to their tickets); admins
also enable, disable and delete rules there. The buttons send the same
``ChangeRule`` (a patch of ``enabled``) and ``DeleteRule`` commands as the JSON API,
as the logged-in admin, so the rule's history says who switched it off. Firings
come from :func:`hub.rules.queries.firings_of`, filtered by the tickets' access
rule: a firing on a ticket the viewer may not see is not listed.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from hub.domain import DomainError, NotFoundError, PermissionDeniedError
from hub.httpapi import hub_of
from hub.rules import commands as c
from hub.rules import queries as q
from hub.rules.describe import action_text, condition_text
from hub.webkit.auth import staff_required

bp = Blueprint("rules_admin", __name__, template_folder="templates")
FIRINGS_SHOWN = 5


def _rule_view(conn: Any, rule: dict[str, Any]) -> dict[str, Any]:
    definition = {k: v for k, v in rule.items()
                  if k not in ("version", "updated_at", "updated_by")}
    return {**rule, "conditions": [condition_text(k, v) for k, v in rule.get("if", {}).items()],
            "actions": [action_text(a) for a in rule.get("do", [])],
            "firings": q.firings_of(conn, g.actor, rule["name"], FIRINGS_SHOWN),
            "definition": json.dumps(definition, indent=2, ensure_ascii=False)}


@bp.get("/admin/rules")
@staff_required
def rules_page() -> str:
    with hub_of().engine.connect() as conn:
        rules = [_rule_view(conn, r) for r in q.list_rules(conn, g.actor)]
    return render_template("rules/admin.html", rules=rules, admin=g.actor.role == "admin")


def _admin_only() -> None:
    if g.actor.role != "admin":
        abort(403, "Only admins change rules; staff may read them here.")


def _done(command: Any, message: str) -> Response:
    try:
        hub_of().bus.handle(command, g.actor)
    except PermissionDeniedError:
        raise  # the styled 403
    except NotFoundError:
        flash("No such rule (deleted already?).", "error")
    except DomainError as exc:
        flash(f"Rule not changed: {exc.message}", "error")
    else:
        flash(message, "ok")
    return redirect(url_for("rules_admin.rules_page"), 303)


@bp.post("/admin/rules/<name>/enabled")
@staff_required
def set_enabled(name: str) -> Response:
    """``enabled=1`` switches the rule on, ``enabled=0`` off (a patch of one key)."""
    _admin_only()
    wanted = request.form.get("enabled", "")
    if wanted not in ("0", "1"):
        abort(400, "'enabled' is 1 (on) or 0 (off)")
    on = wanted == "1"
    return _done(c.ChangeRule(name=name[:64], body={"enabled": on}, patch=True),
                 f"Rule {name} {'enabled' if on else 'disabled'}.")


@bp.post("/admin/rules/<name>/delete")
@staff_required
def delete(name: str) -> Response:
    _admin_only()
    return _done(c.DeleteRule(name=name[:64]), f"Rule {name} deleted.")

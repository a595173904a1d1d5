"""Rules in words: a condition or an action as a line a person reads, for the rules
page and ``hub rules list`` alike (the JSON definition stays one click away)."""

from __future__ import annotations

from typing import Any


def condition_text(key: str, value: Any) -> str:
    """One condition as a person reads it: ``queue is General or NOC``."""
    if key == "priority_at_least":
        return f"priority at least {value}"
    if key == "cf" and isinstance(value, dict):
        return "; ".join(f"field {name} is " + " or ".join("empty" if v is None else v
                                                           for v in wanted)
                         for name, wanted in value.items())
    if isinstance(value, list):
        return f"{key.replace('_', ' ')} is " + " or ".join(str(v) for v in value)
    return f"{key.replace('_', ' ')} “{value}”"


def action_text(action: dict[str, Any]) -> str:
    """One action in a line: ``notify schedule:ops by sms, webhook``."""
    kind = str(action.get("action"))
    if kind == "notify":
        return f"notify {', '.join(action.get('to', []))} by {', '.join(action.get('via', []))}"
    if kind == "webhook":
        return f"webhook {action.get('url')}"
    if kind == "page":
        return "page " + (f"policy {action['policy']}" if action.get("policy")
                          else f"{action.get('target')}")
    if kind in ("comment", "correspond"):
        text = " ".join(str(action.get("template", "")).split())
        return f"{kind}: " + (f"“{text[:60]}{'…' if len(text) > 60 else ''}”" if text
                              else "the rule's template")
    changes = {k: v for k, v in action.items() if k != "action"}
    return f"{kind} " + ", ".join(f"{k} {v}" for k, v in changes.items())

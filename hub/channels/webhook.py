"""Webhooks: a JSON POST signed with HMAC-SHA256, generic or Slack/Mattermost shaped.

The signature covers ``"<timestamp>.<body>"`` so a receiver can refuse replays (check
``X-Hub-Timestamp`` is recent) as well as forgeries; the key is ``HUB_WEBHOOK_SECRET``
and never leaves the settings. Only http(s) URLs are posted to, with timeouts and no
redirects (a redirect could carry the signed body somewhere else).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import urlsplit

import requests

from hub.channels.transport import Delivery, DeliveryError

USER_AGENT = "OpsHub-Webhook/1"
#: Answers worth trying again; every other 4xx is the receiver refusing for good.
TRANSIENT = {408, 409, 425, 429}


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` of ``"<timestamp>.<body>"`` keyed with ``secret``."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def body_for(d: Delivery, base_url: str) -> dict[str, Any]:
    url = f"{base_url}/tickets/{d.ticket_id}" if d.ticket_id is not None else base_url
    if d.webhook_format == "slack":
        text = f"*{d.subject}*\n{d.text}" if d.subject else d.text
        link = f"<{url}|Ticket #{d.ticket_id}>" if d.ticket_id is not None else None
        return {"text": text if link is None else f"{text}\n{link}",
                "attachments": [{"fallback": d.subject or d.text[:100],
                                 "color": "danger" if d.urgent else "warning",
                                 "title": d.subject, "title_link": url, "text": d.text}]}
    document: dict[str, Any] = dict(d.payload or {})
    document.update({"event": document.get("event", "notification"), "id": d.id,
                     "subject": d.subject, "text": d.text, "ticket_id": d.ticket_id,
                     "url": url, "urgent": d.urgent, "cause": d.cause, "user": d.user})
    return document


class WebhookTransport:
    def __init__(self, secret: str, base_url: str, timeout: float = 10.0) -> None:
        self._secret = secret
        self.base_url = base_url
        self.timeout = timeout

    def send(self, d: Delivery) -> str:
        if urlsplit(d.address).scheme.lower() not in ("http", "https"):
            raise DeliveryError("only http:// and https:// webhooks are sent", permanent=True)
        body = json.dumps(body_for(d, self.base_url), separators=(",", ":")).encode()
        stamp = str(int(time.time()))
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT,
                   "X-Hub-Timestamp": stamp, "X-Hub-Delivery": d.id}
        if self._secret:
            headers["X-Hub-Signature-256"] = signature(self._secret, stamp, body)
        try:
            answer = requests.post(d.address, data=body, headers=headers,
                                   timeout=(5.0, self.timeout), allow_redirects=False)
        except requests.RequestException as exc:
            raise DeliveryError(f"webhook unreachable: {type(exc).__name__}") from exc
        if 200 <= answer.status_code < 300:
            return f"HTTP {answer.status_code}"
        permanent = 400 <= answer.status_code < 500 and answer.status_code not in TRANSIENT
        raise DeliveryError(f"webhook answered HTTP {answer.status_code}", permanent=permanent)

"""SMS through Kannel's ``sendsms`` HTTP interface (mobile-terminated messages).

Kannel answers ``202 0: Accepted for delivery`` (or ``3: Queued for later delivery``
when the SMSC link is down: Kannel's own store keeps it) once bearerbox holds the
message; only then is the notification delivered. A refusal of the credentials or
the number is permanent; an unreachable smsbox is tried again.
"""

from __future__ import annotations

import requests

from hub.channels.transport import Delivery, DeliveryError

MAX_SMS_TEXT = 459  # three concatenated GSM 7-bit parts
ACCEPTED = ("Accepted", "Sent", "Queued for later delivery")


def sms_text(d: Delivery) -> str:
    text = f"{d.subject}: {d.text}" if d.subject else d.text
    return " ".join(text.split())[:MAX_SMS_TEXT]


class KannelTransport:
    def __init__(self, url: str, user: str, password: str, sender: str,
                 timeout: float = 10.0) -> None:
        self.url = url
        self.user = user
        self._password = password
        self.sender = sender
        self.timeout = timeout

    def send(self, d: Delivery) -> str:
        if not self.url:
            raise DeliveryError("SMS is not configured (HUB_KANNEL_SENDSMS_URL)")
        params = {"username": self.user, "password": self._password, "to": d.address,
                  "text": sms_text(d), "charset": "UTF-8", "coding": "0"}
        if any(ord(ch) > 127 for ch in params["text"]):
            params["coding"] = "2"
        if self.sender:
            params["from"] = self.sender
        try:
            answer = requests.get(self.url, params=params, timeout=(5.0, self.timeout))
        except requests.RequestException as exc:
            raise DeliveryError(f"Kannel unreachable: {type(exc).__name__}") from exc
        reply = answer.text.strip()[:200]
        if 200 <= answer.status_code < 300 and any(word in reply for word in ACCEPTED):
            return reply
        permanent = answer.status_code in (400, 403, 404)
        raise DeliveryError(f"Kannel answered {answer.status_code}: {reply}",
                            permanent=permanent)

"""Where each notification channel reaches a user, and when they do not want to be woken.

Why here and not in the channels feature: contacts are part of a person's account (the
user edits them on their own account page, admins through the user API), and features
below channels (on-call, rules) read them too. Everything is validated when written, so
a sender never finds an address it cannot use: an http(s) URL for webhooks, a bare JID
for XMPP, an E.164 number for SMS, a mail address for mail.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hub.accounts.model import clean_email
from hub.domain import ValidationError

CHANNELS = ("mail", "webhook", "xmpp", "sms")
WEBHOOK_FORMATS = ("generic", "slack")
E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
JID = re.compile(r"^[^@/\s\"&'<>:]{1,1023}@[A-Za-z0-9.-]{1,1023}$")
CLOCK = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")


def clean_webhook_url(value: object) -> str:
    """An absolute http(s) URL with a host (the only kind a webhook may be sent to)."""
    url = value.strip() if isinstance(value, str) else ""
    parts = urlsplit(url)
    if (parts.scheme.lower() not in ("http", "https") or not parts.hostname
            or any(c.isspace() for c in url) or len(url) > 2000):
        raise ValidationError(f"{value!r} is not an http:// or https:// URL", field="webhook")
    return url


def clean_jid(value: object) -> str:
    """A bare JID ``user@domain`` (lower case: JIDs compare case-insensitively)."""
    jid = value.strip().lower() if isinstance(value, str) else ""
    if not JID.match(jid):
        raise ValidationError(f"{value!r} is not an XMPP address (user@domain)", field="xmpp")
    return jid


def clean_phone(value: object) -> str:
    """An E.164 number: ``+`` and 7 to 15 digits (spaces, dashes and dots are dropped)."""
    number = re.sub(r"[\s.()-]", "", value) if isinstance(value, str) else ""
    if not E164.match(number):
        raise ValidationError(f"{value!r} is not an E.164 number such as +4915112345678",
                              field="sms")
    return number


def clean_address(via: str, value: object) -> str:
    """An address for channel ``via``, validated as a contact of that channel would be."""
    cleaners = {"mail": clean_email, "webhook": clean_webhook_url, "xmpp": clean_jid,
                "sms": clean_phone}
    if via not in cleaners:
        raise ValidationError(f"channel is one of {list(CHANNELS)}, not {via!r}", field="via")
    return cleaners[via](value)


def clean_contacts(contacts: object) -> dict[str, Any]:
    """Validate a ``{mail?, webhook?, xmpp?, sms?, webhook_format?}`` object; ``None``
    values are kept (they remove the channel when merged)."""
    if not isinstance(contacts, dict):
        raise ValidationError("contacts is an object {mail?, webhook?, xmpp?, sms?}")
    unknown = set(contacts) - {*CHANNELS, "webhook_format"}
    if unknown:
        raise ValidationError(f"unknown contacts: {sorted(unknown)}", allowed=list(CHANNELS))
    out: dict[str, Any] = {}
    for key, value in contacts.items():
        if value is None or value == "":
            out[key] = None
        elif key == "mail":
            out[key] = clean_email(value)
        elif key == "webhook":
            out[key] = clean_webhook_url(value)
        elif key == "xmpp":
            out[key] = clean_jid(value)
        elif key == "sms":
            out[key] = clean_phone(value)
        elif value not in WEBHOOK_FORMATS:
            raise ValidationError(f"webhook_format is one of {list(WEBHOOK_FORMATS)}")
        else:
            out[key] = value
    return out


def clean_quiet_hours(value: object) -> dict[str, str]:
    """``{"timezone": IANA zone, "from": "HH:MM", "to": "HH:MM"}`` (may span midnight)."""
    if not isinstance(value, dict) or set(value) - {"timezone", "from", "to"}:
        raise ValidationError('quiet_hours is {"timezone": ..., "from": "22:00", "to": "07:00"}')
    zone = value.get("timezone") or "UTC"
    try:
        ZoneInfo(str(zone))
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:  # OSError: 'Europe', long names
        raise ValidationError(f"{zone!r} is not an IANA time zone", field="timezone") from exc
    for key in ("from", "to"):
        if not isinstance(value.get(key), str) or not CLOCK.match(value[key]):
            raise ValidationError(f"quiet_hours.{key} is a time HH:MM", field=key)
    if value["from"] == value["to"]:
        raise ValidationError("quiet_hours.from and quiet_hours.to must differ")
    return {"timezone": str(zone), "from": value["from"], "to": value["to"]}


def _clock(text: str) -> dt.time:
    hours, minutes = text.split(":")
    return dt.time(int(hours), int(minutes))


def quiet_until(quiet_hours: dict[str, str] | None, now: dt.datetime) -> dt.datetime | None:
    """When the quiet hours around ``now`` (naive UTC) end, as naive UTC; ``None`` when
    ``now`` is outside them. Computed in the user's zone, so a DST change moves the end
    with the wall clock, as the person expects."""
    if not quiet_hours:
        return None
    zone = ZoneInfo(quiet_hours["timezone"])
    local = now.replace(tzinfo=dt.UTC).astimezone(zone)
    start, end = _clock(quiet_hours["from"]), _clock(quiet_hours["to"])
    t = local.time().replace(second=0, microsecond=0)
    if start < end:
        inside = start <= t < end
        end_day = local.date()
    else:  # spans midnight, e.g. 22:00-07:00
        inside = t >= start or t < end
        end_day = local.date() + dt.timedelta(days=1) if t >= start else local.date()
    if not inside:
        return None
    ends = dt.datetime.combine(end_day, end, tzinfo=zone)
    return ends.astimezone(dt.UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Contacts:
    """Where ``user`` is reached on each channel; mail falls back to the account's address."""

    user: str
    mail: str | None
    webhook: str | None
    xmpp: str | None
    sms: str | None
    webhook_format: str = "generic"
    quiet_hours: dict[str, str] | None = None

    def address_for(self, via: str) -> str | None:
        """The address for channel ``via`` (``None`` when the user gave none)."""
        return getattr(self, via, None) if via in CHANNELS else None

    def as_dict(self) -> dict[str, Any]:
        return {"mail": self.mail, "webhook": self.webhook, "xmpp": self.xmpp,
                "sms": self.sms, "webhook_format": self.webhook_format}

"""Foswiki's built-in value macros: dates, colours, icons, MAKETEXT, REVINFO, META.

These need no database: they read the :class:`TopicMeta` the caller supplies and
the clock.  Output that is *data* (a field value, an attachment comment, a user name)
is escaped here; the expander stashes it so TML never re-interprets it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from html import escape
from typing import Any

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]

#: ``%RED% ... %ENDCOLOR%`` and friends, as in Foswiki's DefaultPreferences.
COLOURS = ("RED", "GREEN", "BLUE", "ORANGE", "PURPLE", "YELLOW", "GRAY", "BROWN", "PINK",
           "TEAL", "NAVY", "OLIVE", "LIME", "MAROON", "AQUA", "SILVER", "WHITE", "BLACK")
#: Foswiki's icon shortcuts and their ``%ICON{}%`` names, shown as text symbols.
SHORTCUTS = {"X": "warning", "Y": "choice-yes", "N": "choice-no", "T": "tip",
             "H": "help", "I": "idea", "P": "pencil", "Q": "question", "S": "star",
             "U": "updated", "M": "arrowright", "L": "arrowleft", "NEW": "new"}
SYMBOLS = {"warning": "\u26a0", "choice-yes": "\u2714", "choice-no": "\u2718",
           "tip": "\U0001f4a1", "help": "\u2753", "idea": "\U0001f4a1", "pencil": "\u270e",
           "question": "\u2753", "star": "\u2605", "updated": "\u21bb",
           "arrowright": "\u2192", "arrowleft": "\u2190", "new": "\U0001f195",
           "info": "\u2139", "lock": "\U0001f512", "email": "\u2709", "home": "\u2302",
           "edit": "\u270e", "attach": "\U0001f4ce", "pdf": "\U0001f4c4", "bomb": "\U0001f4a3"}


@dataclass
class TopicMeta:
    """What META, FORMFIELD and REVINFO show about one topic."""

    web: str
    topic: str
    revision: int = 0
    author: str = ""
    at: datetime | None = None
    parent: str | None = None
    form: str | None = None
    fields: dict[str, str] = field(default_factory=dict)
    attachments: list[Mapping[str, Any]] = field(default_factory=list)
    moved: Mapping[str, Any] | None = None


def format_time(fmt: str, when: datetime) -> str:
    """Foswiki's time format tokens (``$day $month $year - $hour:$min`` and so on)."""
    tokens = {
        "seconds": f"{when.second:02d}", "second": f"{when.second:02d}",
        "minutes": f"{when.minute:02d}", "min": f"{when.minute:02d}",
        "hours": f"{when.hour:02d}", "hour": f"{when.hour:02d}",
        "day": f"{when.day:02d}", "wday": DAYS[when.weekday()],
        "dow": str((when.weekday() + 1) % 7), "week": f"{when.isocalendar()[1]}",
        "month": MONTHS[when.month - 1], "mo": f"{when.month:02d}", "year": f"{when.year}",
        "ye": f"{when.year % 100:02d}", "tz": "GMT", "epoch": str(int(when.timestamp())),
        "iso": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "rcs": when.strftime("%Y/%m/%d %H:%M:%S"),
        "http": when.strftime("%a, %d %b %Y %H:%M:%S GMT"),
    }
    for long in ("seconds", "minutes", "hours", "month", "year"):  # $sec, $min... as Foswiki
        tokens.setdefault(long[:3], tokens[long])
    keys = "|".join(sorted(tokens, key=len, reverse=True))
    return re.sub(rf"\$({keys})", lambda m: tokens[m.group(1)], fmt)


def format_tokens(text: str) -> str:
    """Foswiki's escapes in format strings: ``$n $nop $quot $percnt $dollar $lt $gt``."""
    table = {"n": "\n", "nop": "", "quot": '"', "percnt": "%", "percent": "%",
             "dollar": "$", "lt": "<", "gt": ">", "amp": "&", "comma": ","}
    return re.sub(r"\$(percnt|percent|dollar|comma|quot|nop|amp|lt|gt|n)(?:\(\))?",
                  lambda m: table[m.group(1)], text)


def colour(name: str) -> str:
    return f'<span class="wiki-color-{name.lower()}">'


def icon(name: str) -> str:
    name = re.sub(r"[^a-z0-9-]", "", name.lower().rsplit(".", 1)[0]) or "unknown"
    symbol = SYMBOLS.get(name, "\u25a1")
    return f'<span class="wiki-icon wiki-icon-{name}" title="{escape(name)}">{symbol}</span>'


def maketext(text: str, args: Sequence[str]) -> str:
    """``[_1]`` arguments, ``[*,_1,item]`` quantities and ``~[`` escapes, as Locale::Maketext."""

    def arg(n: str) -> str:
        i = int(n) - 1
        return args[i] if 0 <= i < len(args) else ""

    def quant(m: re.Match[str]) -> str:
        value, one = arg(m.group(1)), m.group(2)
        many = m.group(3) or f"{one}s"
        try:
            plural = float(value) != 1
        except ValueError:
            plural = True
        return f"{value} {many if plural else one}"

    text = text.replace("~[", "\x00").replace("~]", "\x01")
    text = re.sub(r"\[(?:\*|quant),_(\d+),([^,\]]*)(?:,([^,\]]*))?\]", quant, text)
    text = re.sub(r"\[_(\d+)\]", lambda m: arg(m.group(1)), text)
    return text.replace("\x00", "[").replace("\x01", "]")


def revinfo(meta: TopicMeta, fmt: str, users_web: str) -> str:
    when = meta.at
    tokens = {"rev": str(meta.revision), "username": meta.author,
              "wikiname": wikiname(meta.author),
              "wikiusername": f"{users_web}.{wikiname(meta.author)}",
              "web": meta.web, "topic": meta.topic}
    out = re.sub(r"\$(rev|username|wikiusername|wikiname|web|topic)\b",
                 lambda m: tokens[m.group(1)], fmt)
    if when is not None:
        out = format_time(out.replace("$date", "$day $month $year")
                          .replace("$time", "$hour:$min"), when)
    return format_tokens(out)


def wikiname(user: str) -> str:
    """A hub user name as a WikiName (``alice`` -> ``Alice``, ``j.doe`` -> ``JDoe``)."""
    parts = re.findall(r"[A-Za-z0-9]+", user)
    return "".join(p[:1].upper() + p[1:] for p in parts) or "UnknownUser"


def formfield(meta: TopicMeta | None, name: str, args: Mapping[str, str]) -> str:
    value = None if meta is None else meta.fields.get(name)
    if value is None or value == "":
        return escape(args.get("alttext" if value is None else "default",
                               args.get("default", "")))
    fmt = args.get("format", "$value")
    return escape(format_tokens(fmt.replace("$value", value).replace("$name", name)))


def meta_html(meta: TopicMeta | None, what: str, args: Mapping[str, str]) -> str:
    """``%META{"formfield"|"form"|"attachments"|"parent"|"moved"}%`` as escaped HTML."""
    if meta is None:
        return ""
    if what == "formfield":
        return formfield(meta, args.get("name", ""), args)
    if what == "form":
        if not meta.fields:
            return ""
        rows = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>"
                       for k, v in meta.fields.items())
        title = escape(meta.form or "Form")
        return f'<table class="wiki-form"><caption>{title}</caption>{rows}</table>'
    if what == "attachments":
        shown = [a for a in meta.attachments if args.get("all") == "on"
                 or not (a.get("hidden") or "h" in str(a.get("attr", "")))]
        if not shown:
            return ""
        rows = "".join(
            f"<tr><td>{escape(str(a.get('name', '')))}</td>"
            f"<td>{escape(str(a.get('comment', '')))}</td>"
            f"<td>{escape(str(a.get('user', a.get('author', ''))))}</td></tr>" for a in shown)
        return ('<table class="wiki-attachments"><tr><th>Attachment</th><th>Comment</th>'
                f"<th>Who</th></tr>{rows}</table>")
    if what == "parent":
        if not meta.parent:
            return escape(args.get("nowebhome", "") and "")
        return escape(args.get("prefix", "")) + escape(meta.parent) + escape(args.get("suffix", ""))
    if what == "moved" and meta.moved:
        moved = meta.moved
        return escape(f"{moved.get('to', '')} moved from {moved.get('from', '')} by "
                      f"{moved.get('by', '')}")
    return ""

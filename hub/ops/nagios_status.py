"""What Nagios itself says: host names behind aliases, and whether a problem is acknowledged.

Why read Nagios's files: the stock ``notify-service-by-email`` mail names the host
by its ALIAS (``Host: Web frontend 01``), and Nagios rejects ``ACKNOWLEDGE_SVC_PROBLEM``
for an alias with nothing but "External command failed" in its log. Writing into the
command FIFO proves nothing either, so an acknowledgement counts only once
``status.dat`` shows ``problem_has_been_acknowledged=1`` for that host or service.
Both files are plain ``name {`` / ``key=value`` (status) or ``key<TAB>value``
(objects cache) blocks; a file that is missing or being rewritten reads as empty.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path


def _read(path: str | None) -> str:
    """The file's text; "" without a path or when it cannot be read (e.g. mid-rewrite)."""
    if not path:
        return ""
    try:
        return Path(path).read_text(errors="replace")
    except OSError:
        return ""


def _blocks(text: str, kinds: frozenset[str]) -> Iterator[tuple[str, dict[str, str]]]:
    kind: str | None = None
    block: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if kind is None:
            name = line.removeprefix("define ").removesuffix("{").strip()
            if line.endswith("{") and name in kinds:
                kind, block = name, {}
        elif line == "}":
            yield kind, block
            kind = None
        elif "=" in line and not line.startswith("define"):
            key, _, value = line.partition("=")
            if "\t" in key or " " in key:  # objects.cache: "key<TAB>value" with a '=' in it
                key, _, value = line.partition("\t") if "\t" in line else line.partition(" ")
            block.setdefault(key.strip(), value.strip())
        elif line:
            key, _, value = line.replace("\t", " ", 1).partition(" ")
            block.setdefault(key.strip(), value.strip())


@dataclass(frozen=True)
class NagiosFiles:
    """Where this hub finds Nagios's status and object cache (``[nagios]`` table)."""

    status_file: str | None = None
    object_cache_file: str | None = None
    host_aliases: Mapping[str, str] = field(default_factory=dict)

    def host_names(self) -> dict[str, str]:
        """``{alias or host_name: host_name}`` from the object cache (empty without one)."""
        names: dict[str, str] = {}
        for _, block in _blocks(_read(self.object_cache_file), frozenset({"host"})):
            name = block.get("host_name")
            if name:
                names.setdefault(block.get("alias") or name, name)
                names[name] = name
        return names

    def resolve_host(self, host: str, seen: Mapping[str, str] | None = None) -> str:
        """The Nagios host_name for what an alert called ``host``.

        In order: the configuration's ``host_aliases``, aliases seen in the JSON feed
        (``HOSTALIAS`` next to ``HOSTNAME``), Nagios's object cache; else ``host`` itself.
        """
        if host in self.host_aliases:
            return self.host_aliases[host]
        if seen and host in seen:
            return seen[host]
        return self.host_names().get(host, host)

    def knows_host(self, host_name: str) -> bool | None:
        """Whether the object cache defines ``host_name``; None when there is no cache."""
        names = self.host_names()
        return (host_name in names.values()) if names else None

    def acknowledged(self, host_name: str, service: str | None) -> bool | None:
        """True when Nagios shows the problem acknowledged; None without a status file.

        Raises OSError when the file cannot be read (permissions: docs/alerts.md).
        """
        if not self.status_file:
            return None
        text = Path(self.status_file).read_text(errors="replace")
        kind = "servicestatus" if service else "hoststatus"
        for _, block in _blocks(text, frozenset({kind})):
            if block.get("host_name") != host_name:
                continue
            if service and block.get("service_description") != service:
                continue
            return block.get("problem_has_been_acknowledged") == "1"
        return False

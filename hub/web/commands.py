"""What the desk may be asked to do: keep a user's saved ticket searches."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SaveSearch:
    user: str
    name: str
    query: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DeleteSearch:
    user: str
    search_id: int

"""Who is acting, and with which rights, as the domain sees it.

Entrypoints resolve a request or a mail to an ``Actor``; handlers add the rights
that actor holds on the object at hand; aggregates only ask ``actor.can(...)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

SOURCES = ("web", "api", "email", "alert", "runbook", "scheduler", "cli", "system")


@dataclass(frozen=True)
class Actor:
    name: str
    email: str = ""
    role: str = "system"  # admin | staff | customer | system
    source: str = "system"
    rights: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_system(self) -> bool:
        return self.role == "system"

    @property
    def is_staff(self) -> bool:
        return self.role in ("admin", "staff", "system")

    def can(self, right: str) -> bool:
        return self.is_system or self.role == "admin" or right in self.rights

    def with_rights(self, rights: frozenset[str]) -> Actor:
        return replace(self, rights=rights)


def system_actor(source: str = "system", name: str = "system") -> Actor:
    return Actor(name=name, role="system", source=source)

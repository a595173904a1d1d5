"""The acknowledgement part of the Alert aggregate: requested, confirmed, failed.

Why separate events: writing ``ACKNOWLEDGE_*_PROBLEM`` into Nagios's FIFO proves
nothing (an alias as host name is rejected, a stopped Nagios has no reader), so the
aggregate records the request, then either :class:`AlertAckSent` once Nagios's
status shows the acknowledgement or :class:`AlertAckFailed` when it did not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hub.ops import events as ev

if TYPE_CHECKING:
    from hub.ops.model import Episode


class AckRecords:
    """Mixed into :class:`hub.ops.model.Alert` (which holds ``episodes``)."""

    id: str
    episodes: dict[str, Episode]

    if TYPE_CHECKING:
        def _record(self, event: Any) -> None: ...  # the Aggregate's

    def ackable(self, problem_key: str) -> Episode | None:
        """The open episode of ``problem_key`` that nobody acknowledged yet."""
        ep = self.episodes.get(problem_key)
        if ep is None or ep.ack_sent or ep.acknowledged or ep.state == "resolved":
            return None
        return ep

    def record_ack_requested(self, problem_key: str, author: str, ticket_id: int,
                             comment: str, reason: str) -> bool:
        """Once per episode: False when it was requested, sent or acknowledged already."""
        ep = self.ackable(problem_key)
        if ep is None or ep.ack_requested:
            return False
        self._record(ev.AlertAckRequested(
            object_key=self.id, problem_key=problem_key, episode=ep.number, author=author,
            ticket_id=ticket_id, comment=comment[:400], reason=reason))
        return True

    def record_ack_sent(self, problem_key: str, author: str, ticket_id: int) -> bool:
        """Nagios's status shows the acknowledgement we wrote: once per episode (Nagios's
        own ACKNOWLEDGEMENT notification may have arrived first)."""
        ep = self.episodes.get(problem_key)
        if ep is None or ep.ack_sent or ep.state == "resolved":
            return False
        self._record(ev.AlertAckSent(object_key=self.id, problem_key=problem_key,
                                     episode=ep.number, author=author, ticket_id=ticket_id))
        return True

    def record_ack_failed(self, problem_key: str, author: str, ticket_id: int, *,
                          attempts: int, error: str, written: bool, final: bool) -> bool:
        ep = self.episodes.get(problem_key)
        if ep is None or ep.ack_sent:
            return False
        self._record(ev.AlertAckFailed(
            object_key=self.id, problem_key=problem_key, episode=ep.number, author=author,
            ticket_id=ticket_id, attempts=attempts, error=error[:1000], written=written,
            final=final))
        return True

    def _on_AlertAckRequested(self, d: dict[str, Any]) -> None:
        ep = self.episodes.get(d["problem_key"])
        if ep is not None and ep.number == d["episode"]:
            ep.ack_requested = True

    def _on_AlertAckSent(self, d: dict[str, Any]) -> None:
        ep = self.episodes.get(d["problem_key"])
        if ep is not None:
            ep.ack_sent = True

    def _on_AlertAckFailed(self, d: dict[str, Any]) -> None:
        ep = self.episodes.get(d["problem_key"])
        if ep is not None and d["final"] and ep.number == d["episode"]:
            ep.ack_requested = False  # a later Acknowledge may try again

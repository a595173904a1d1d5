"""Where a run stands: the step it waits for, the steps their condition skips, its status.

One pure walk over the steps decides all three, so the run's rules (what may be
applied now), its automatic skips and its status can never disagree:

* steps run in order; a step is reached when every earlier step has ended
  (``verified`` or ``skipped``);
* a reached step with ``when: step N <state>`` whose step N ended otherwise is
  skipped by itself, with the reason "condition not met: step N is <state>";
* a failed step stops the run (status ``failed``): after it, only steps whose
  condition asks for that failure are reached; the others wait, unrun, until the
  failed step is planned again or skipped (with a reason), or the run is aborted;
* a run whose steps have all ended is ``completed`` if every step was applied and
  verified, else ``completed_with_skips``.

A condition on a failed step is not decided while that step may still be skipped or
planned again: ``failed`` is the one state that is not final.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hub.runbooks.steps import Condition, parse_when

ENDED = ("verified", "skipped")


@dataclass
class Progress:
    """The outcome of :func:`walk` over a run's steps."""

    skips: list[tuple[int, str]] = field(default_factory=list)  # (step, reason) to record
    waiting: int | None = None  # the step the run waits for (plan, approve, apply)
    failed: int | None = None  # the first failed step the run reached

    @property
    def finished(self) -> bool:
        return self.waiting is None and self.failed is None


def condition_of(step: Mapping[str, Any]) -> Condition | None:
    """The step's ``when``: as ``RunStarted`` stores it (``{"step": N, "state": ...}``)
    or as the run's JSON shows it (``"step N verified"``)."""
    when = step.get("when")
    if isinstance(when, Mapping):
        return Condition(int(when["step"]), str(when["state"]))
    if isinstance(when, str):
        return parse_when(when, int(step["n"]))[0]
    return None


def walk(steps: Sequence[Mapping[str, Any]]) -> Progress:
    """Walk the steps in order as the run would; see the module docstring for the rules."""
    states = {int(s["n"]): str(s["state"]) for s in steps}
    out = Progress()
    for step in steps:
        n = int(step["n"])
        state = states[n]
        if state in ENDED:
            continue
        if step.get("applying") or state == "applied":
            out.waiting = n  # under way: nothing after it is reached yet
            return out
        cond = condition_of(step)
        if cond is not None:
            ref = states.get(cond.step, "")
            if ref in ENDED and ref != cond.state:
                out.skips.append((n, f"condition not met: step {cond.step} is {ref}"))
                states[n] = "skipped"
                continue
            if ref not in ENDED and (ref != "failed" or cond.state != "failed"):
                continue  # decided when step cond.step has ended
        if state == "failed":
            out.failed = out.failed or n
            continue
        if out.failed is not None and (cond is None or cond.state != "failed"):
            continue  # after a failure only the steps that ask for it run
        out.waiting = n
        return out
    return out


def final_status(steps: Sequence[Mapping[str, Any]]) -> str:
    """``completed`` when every step was applied and verified, else ``completed_with_skips``."""
    return ("completed_with_skips" if any(s["state"] == "skipped" for s in steps)
            else "completed")

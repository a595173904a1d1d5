"""Three-way merge of topic texts by lines (diff3 style, on difflib).

Two people editing the same topic from the same base revision is normal on a wiki;
a save whose ``base_revision`` is stale is merged with the current text and only a
real overlap is a conflict.  Changes that touch the same or adjacent base lines are
treated as overlapping (as diff3 does): guessing an order there would silently
produce text neither author wrote.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher

OURS_MARK = "<<<<<<< yours\n"
SEP_MARK = "=======\n"
THEIRS_MARK = ">>>>>>> theirs\n"


@dataclass(frozen=True)
class Conflict:
    """One overlapping change; ``base_line`` is 1-based in the base text."""

    base_line: int
    base: str
    ours: str
    theirs: str


@dataclass
class MergeResult:
    text: str
    conflicts: list[Conflict] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.conflicts


def merge3(base: str, ours: str, theirs: str) -> MergeResult:
    """Merge ``ours`` and ``theirs``, both edited from ``base``.

    The text carries ``<<<<<<< yours`` / ``=======`` / ``>>>>>>> theirs`` markers only
    when there are conflicts.
    """
    b, o, t = (s.splitlines(keepends=True) for s in (base, ours, theirs))
    out: list[str] = []
    conflicts: list[Conflict] = []
    for kind, zs, ze, os_, oe, ts, te in _regions(b, o, t):
        if kind == "unchanged":
            out.extend(b[zs:ze])
        elif kind == "ours":
            out.extend(o[os_:oe])
        elif kind == "theirs":
            out.extend(t[ts:te])
        else:
            mine, other = o[os_:oe], t[ts:te]
            conflicts.append(Conflict(zs + 1, "".join(b[zs:ze]), "".join(mine), "".join(other)))
            out.append(OURS_MARK)
            out.extend(_terminated(mine))
            out.append(SEP_MARK)
            out.extend(_terminated(other))
            out.append(THEIRS_MARK)
    return MergeResult("".join(out), conflicts)


def _terminated(lines: list[str]) -> list[str]:
    """A last line without newline would glue itself to the next marker."""
    if lines and not lines[-1].endswith("\n"):
        return [*lines[:-1], lines[-1] + "\n"]
    return lines


Region = tuple[str, int, int, int, int, int, int]


def _regions(base: Sequence[str], ours: Sequence[str], theirs: Sequence[str]) -> Iterator[Region]:
    """Walk the regions where all three agree and classify what lies between them."""
    iz = io = it = 0
    for zs, ze, os_, oe, ts, te in _sync_regions(base, ours, theirs):
        if os_ > io or ts > it:
            o_chunk, t_chunk, z_chunk = ours[io:os_], theirs[it:ts], base[iz:zs]
            if o_chunk == t_chunk:
                yield "ours", iz, zs, io, os_, it, ts
            elif o_chunk == z_chunk:
                yield "theirs", iz, zs, io, os_, it, ts
            elif t_chunk == z_chunk:
                yield "ours", iz, zs, io, os_, it, ts
            else:
                yield "conflict", iz, zs, io, os_, it, ts
        elif zs > iz:
            # Both sides deleted the same base lines.
            yield "ours", iz, zs, io, os_, it, ts
        if ze > zs:
            yield "unchanged", zs, ze, os_, oe, ts, te
        iz, io, it = ze, oe, te


def _sync_regions(
    base: Sequence[str], ours: Sequence[str], theirs: Sequence[str]
) -> list[tuple[int, int, int, int, int, int]]:
    """Base ranges unchanged on both sides, with their positions in each side."""
    om = SequenceMatcher(None, base, ours, autojunk=False).get_matching_blocks()
    tm = SequenceMatcher(None, base, theirs, autojunk=False).get_matching_blocks()
    regions: list[tuple[int, int, int, int, int, int]] = []
    i = j = 0
    while i < len(om) and j < len(tm):
        (oz, oo, olen), (tz, tt, tlen) = om[i], tm[j]
        start, end = max(oz, tz), min(oz + olen, tz + tlen)
        if start < end:
            o_at, t_at = oo + start - oz, tt + start - tz
            regions.append((start, end, o_at, o_at + end - start, t_at, t_at + end - start))
        if oz + olen < tz + tlen:
            i += 1
        else:
            j += 1
    n = len(base)
    regions.append((n, n, len(ours), len(ours), len(theirs), len(theirs)))
    return regions

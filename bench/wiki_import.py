"""The import part of ``python -m bench wiki``: ``hub wiki import`` of a generated TWiki tree.

The tree has BENCH_IMPORT_TOPICS topics (default 1,000) in 10 webs, each with
BENCH_IMPORT_REVISIONS revisions (default 5) in a real RCS ``,v`` file (written here in
the format ``ci`` writes; one file is checked with the real ``co`` when it is
installed), a DataForm, a parent and an attachment on every tenth topic.  Baseline in
the same run: reading and converting the same tree without storing anything
(``,v`` parsing, META and TML to Markdown), i.e. what the import costs beyond the
event store and its projections.  The re-import shows the idempotent path.
"""

from __future__ import annotations

import difflib
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import table

N_TOPICS = int(os.environ.get("BENCH_IMPORT_TOPICS", "1000"))
N_REVISIONS = int(os.environ.get("BENCH_IMPORT_REVISIONS", "5"))
EPOCH = 1_100_000_000
AUTHORS = ("JohnSmith", "JaneDoe", "AdminUser")


def _revision_text(n: int, rev: int) -> list[str]:
    author = AUTHORS[(n + rev) % len(AUTHORS)]
    lines = [f'%META:TOPICINFO{{author="{author}" date="{EPOCH + n * 100 + rev}" '
             f'format="1.1" version="1.{rev}"}}%\n',
             '%META:TOPICPARENT{name="WebHome"}%\n',
             f"---+ Topic {n}\n", "\n", "Intro with a WikiWord and *bold* text.\n"]
    for k in range(1, rev + 1):
        lines += ["\n", f"---++ Change {k}\n", f"   * step {k} on =web{k}=\n",
                  f"   * see Topic{(n + k) % N_TOPICS}Page\n"]
    lines += ['%META:FORM{name="IncidentForm"}%\n',
              f'%META:FIELD{{name="Severity" title="Severity level" value="s{rev}"}}%\n']
    return lines


def _ed_script(newer: list[str], older: list[str]) -> str:
    """RCS's reverse delta: ``dL N``/``aL N`` commands turning ``newer`` into ``older``."""
    out: list[str] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=newer, b=older,
                                                       autojunk=False).get_opcodes():
        if tag in ("delete", "replace"):
            out.append(f"d{i1 + 1} {i2 - i1}\n")
        if tag in ("insert", "replace"):
            out.append(f"a{i2} {j2 - j1}\n")
            out.extend(older[j1:j2])
    return "".join(out)


def _at(value: str) -> str:
    return "@" + value.replace("@", "@@") + "@"


def write_rcs(path: Path, revisions: list[list[str]], n: int) -> None:
    """A ``,v`` file: the head's full text, then reverse diffs down to 1.1."""
    count = len(revisions)
    out = [f"head\t1.{count};\naccess;\nsymbols;\nlocks; strict;\ncomment\t@# @;\n"
           "expand\t@o@;\n\n"]
    for rev in range(count, 0, -1):
        when = time.gmtime(EPOCH + n * 100 + rev)
        out.append(f"\n1.{rev}\ndate\t{time.strftime('%Y.%m.%d.%H.%M.%S', when)};\t"
                   f"author {AUTHORS[(n + rev) % len(AUTHORS)].lower()};\tstate Exp;\n"
                   f"branches;\nnext\t{f'1.{rev - 1}' if rev > 1 else ''};\n")
    out.append("\n\ndesc\n@@\n")
    for rev in range(count, 0, -1):
        text = "".join(revisions[-1]) if rev == count else _ed_script(revisions[rev],
                                                                      revisions[rev - 1])
        out.append(f"\n\n1.{rev}\nlog\n@revision {rev}\n@\ntext\n{_at(text)}\n")
    path.write_text("".join(out), encoding="utf-8")


def generate_tree(root: Path) -> int:
    """Write the tree; returns the number of revisions."""
    for n in range(N_TOPICS):
        web = root / "data" / f"Web{n % 10}"
        web.mkdir(parents=True, exist_ok=True)
        revisions = [_revision_text(n, rev) for rev in range(1, N_REVISIONS + 1)]
        name = f"Topic{n}Page.txt"
        meta = ""
        if n % 10 == 0:
            pub = root / "pub" / web.name / f"Topic{n}Page"
            pub.mkdir(parents=True, exist_ok=True)
            (pub / "notes.txt").write_bytes(f"notes of topic {n}\n".encode())
            meta = (f'%META:FILEATTACHMENT{{name="notes.txt" comment="notes" '
                    f'date="{EPOCH + n}" size="20" user="JaneDoe" version="1"}}%\n')
        revisions[-1] = revisions[-1] + [meta] if meta else revisions[-1]
        (web / name).write_text("".join(revisions[-1]), encoding="utf-8")
        write_rcs(web / f"{name},v", revisions, n)
    return N_TOPICS * N_REVISIONS


def _check_with_co(root: Path) -> str:
    """The real ``co`` must read a generated file exactly as the importer does."""
    if shutil.which("co") is None:
        return "co not installed"
    from hub.wiki.rcs import parse_rcs

    path = root / "data" / "Web1" / "Topic1Page.txt,v"
    ours = {r.rev: r.text for r in parse_rcs(path.read_bytes())}
    for rev, text in ours.items():
        theirs = subprocess.run(["co", "-q", "-p", f"-r{rev}", str(path)], check=True,
                                capture_output=True).stdout.decode()
        if theirs != text:
            raise SystemExit(f"generated ,v differs from co at {rev}")
    return f"{len(ours)} revisions equal to co -p"


def parse_only(root: Path) -> int:
    from hub.wiki.importer import revision_command, source_revisions
    from hub.wiki.tml import parse_topic_file

    count = 0
    for txt in sorted((root / "data").glob("*/*.txt")):
        for rev in source_revisions(txt):
            revision_command(txt.parent.name, txt.stem, rev, parse_topic_file(rev.text))
            count += 1
    return count


def run_import() -> list[tuple[str, str, str, str]]:
    from bench.wiki import _hub
    from hub.wiki.importer import import_tree

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "twiki"
        expected = generate_tree(root)
        checked = _check_with_co(root)
        start = time.perf_counter()
        parsed = parse_only(root)
        parse_s = time.perf_counter() - start
        hub: Any = _hub(Path(tmp) / "var")
        start = time.perf_counter()
        report = import_tree(hub, root)
        import_s = time.perf_counter() - start
        start = time.perf_counter()
        again = import_tree(hub, root)
        again_s = time.perf_counter() - start
        hub.engine.dispose()
    if report.revisions != expected or parsed != expected or again.revisions != expected:
        raise SystemExit(f"import saw {report.revisions}/{parsed} of {expected} revisions")
    return [
        (f"generated tree ({N_TOPICS:,} topics x {N_REVISIONS} revisions)", checked,
         "report", ""),
        ("baseline: read + convert only (RCS, META, TML)",
         f"{parsed:,} revisions in {parse_s:.1f} s = {N_TOPICS / parse_s:,.0f} topics/s",
         "baseline", ""),
        ("hub wiki import",
         f"{report.topics:,} topics, {report.revisions:,} revisions, {report.attachments} "
         f"attachments in {import_s:.1f} s = {report.topics / import_s:,.1f} topics/s "
         f"({report.revisions / import_s:,.0f} revisions/s)", "report", ""),
        ("re-import of the same tree (no change)",
         f"{again_s:.1f} s = {again.topics / again_s:,.1f} topics/s", "report", ""),
    ]


def main() -> None:
    print(table("wiki import benchmark", run_import()))


if __name__ == "__main__":
    main()

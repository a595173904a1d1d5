"""``hub wiki import DIR`` and ``hub wiki demo`` (digests are ``hub mail digest``)."""

from __future__ import annotations

from pathlib import Path

import click

from hub.bootstrap import bootstrap


@click.group("wiki")
def wiki_group() -> None:
    """The knowledge base: import from TWiki/Foswiki, demo content."""


@wiki_group.command("import")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--web", "webs", multiple=True, help="import only this web (repeatable)")
def import_cmd(directory: Path, webs: tuple[str, ...]) -> None:
    """Import a TWiki/Foswiki data/ tree (with RCS history) and its pub/ attachments."""
    from hub.wiki.importer import import_tree

    hub = bootstrap()
    report = import_tree(hub, directory, webs=webs, progress=lambda name: click.echo(name))
    for problem in report.skipped:
        click.echo(f"skipped {problem}", err=True)
    click.echo(f"imported {report.topics} topics, {report.revisions} revisions, "
               f"{report.attachments} attachments")
    # The search index catches up from the new events by itself (its reactor in
    # `hub serve`); `hub search sync` does it at once without a server.


@wiki_group.command("demo")
def demo_cmd() -> None:
    """Create the demo topics (Main.WebHome, Runbooks.DrainWebNode) if missing."""
    from hub.wiki.commands import install_demo

    created = install_demo(bootstrap())
    click.echo(f"created {', '.join(created) or 'nothing (all present)'}")

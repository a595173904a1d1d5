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
@click.option("--quiet", is_flag=True, help="do not list each topic as it is imported")
def import_cmd(directory: Path, webs: tuple[str, ...], quiet: bool) -> None:
    """Import a TWiki/Foswiki data/ tree (with RCS history) and its pub/ attachments.

    Prints each topic as it goes, every warning (on stderr: what could not be kept,
    e.g. an attachment the META names but pub/ lacks) and a summary table.
    """
    from hub.wiki.importer import import_tree, summary_table

    hub = bootstrap()
    report = import_tree(hub, directory, webs=webs,
                         progress=None if quiet else lambda name: click.echo(name))
    for problem in report.warnings:
        click.echo(f"warning: {problem}", err=True)
    click.echo(summary_table(report))
    click.echo(f"imported {report.topics} topics, {report.revisions} revisions, "
               f"{report.attachments} attachments, {len(report.warnings)} warnings")
    # The search index catches up from the new events by itself (its reactor in
    # `hub serve`); `hub search sync` does it at once without a server.


@wiki_group.command("demo")
def demo_cmd() -> None:
    """Create the wiki's demo topic (Main.WebHome) if missing; `hub init` adds the
    Runbooks web and its demo runbooks."""
    from hub.wiki.commands import install_demo

    created = install_demo(bootstrap())
    click.echo(f"created {', '.join(created) or 'nothing (all present)'}")

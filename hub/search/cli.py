"""``hub search rebuild|status|sync``: the Whoosh index is not an SQL projection.

Until ``hub projections rebuild`` learns about non-SQL projections (see the
``rebuilders`` service), ``hub search rebuild`` is the way to rebuild it.
"""

from __future__ import annotations

import click

from hub.bootstrap import bootstrap


@click.group("search")
def search_group() -> None:
    """The search index over tickets and wiki topics."""


@search_group.command("rebuild")
def rebuild_cmd() -> None:
    """Empty the index and index every ticket and topic again."""
    from tqdm import tqdm

    from hub.search.indexer import rebuild

    hub = bootstrap()
    with hub.engine.connect() as conn:
        total = hub.store.last_position(conn)
    with tqdm(total=total, unit="ev", disable=None) as bar:
        written = rebuild(hub, progress=bar.update)
    click.echo(f"search index rebuilt: {written} documents written")


@search_group.command("sync")
def sync_cmd() -> None:
    """Index what is new since the index's position (waits for another writer)."""
    from hub.search.indexer import catch_up

    written = catch_up(bootstrap(), wait=True)
    click.echo(f"search index up to date ({written} documents written)")


@search_group.command("status")
def status_cmd() -> None:
    """This node's index (position, head, documents) and every node's position."""
    from hub.search import tracking
    from hub.search.index import index_of

    hub = bootstrap()
    index = index_of(hub)
    here = tracking.node_name(hub)
    position = tracking.position(hub, index)
    with hub.engine.connect() as conn:
        head = hub.store.last_position(conn)
        nodes = tracking.all_nodes(conn)
    state = "up to date" if position >= head else \
        f"catching up, {100 * position // max(head, 1)}%"
    click.echo(f"node {here}: index at position {position} of {head} ({state}); "
               f"{index.ix().doc_count()} documents")
    for node, at in nodes.items():
        if node != here:
            click.echo(f"node {node}: index at position {at} of {head}")

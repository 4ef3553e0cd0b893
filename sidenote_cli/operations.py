"""Operating the stack: tables, the write and webmention queues, the read-only switch."""

from __future__ import annotations

import click

from sidenote_cli.root import echo_json, fail, main

# --- tables ------------------------------------------------------------------------------


@main.group()
def tables() -> None:
    """DynamoDB tables."""


@tables.command("create")
@click.option(
    "--regions",
    default="",
    help="Make the tables global: a replica in each of these regions (comma-separated, "
    "e.g. us-east-1,eu-west-1). The first should be --region, the home region.",
)
def tables_create(regions: str) -> None:
    """Create the tables where missing (safe to re-run) and wait until they are ACTIVE.

    With --regions: streams, point-in-time recovery and deletion protection on every
    replica; replicas are added one at a time and waited for.
    """
    from chalicelib.store import provisioning

    wanted = [r.strip() for r in regions.split(",") if r.strip()]
    lines = provisioning.create_global_tables(wanted) if wanted else provisioning.create_tables()
    for line in lines:
        click.echo(line)


# --- write queue and read-only switch (resilience) ---------------------------------------


@main.group()
def queue() -> None:
    """The durable write queue (SQS) of this region."""


@queue.command("create")
@click.option("--visibility-timeout", default=120, help="Seconds before a failed message returns.")
@click.option("--max-receives", default=100, help="Receives before the dead-letter queue.")
def queue_create(visibility_timeout: int, max_receives: int) -> None:
    """Create the queue and its dead-letter queue if missing (local stacks; AWS: deploy/)."""
    from chalicelib.resilience import writequeue

    echo_json(
        writequeue.create_queues(max_receives=max_receives, visibility_timeout=visibility_timeout)
    )


@queue.command("depth")
def queue_depth() -> None:
    """Messages waiting on the queue and on the dead-letter queue."""
    from chalicelib.resilience import writequeue

    echo_json(writequeue.depth())


@queue.command("drain")
@click.option("--follow", is_flag=True, help="Keep polling (a local stand-in for the trigger).")
def queue_drain(follow: bool) -> None:
    """Store queued comments now (what the SQS-triggered Lambda does in AWS)."""
    import time

    from chalicelib.resilience import writequeue
    from chalicelib.threads import posting

    while True:
        outcome = writequeue.drain(posting.store_queued, wait_seconds=1 if follow else 0)
        if outcome.stored or outcome.failed or outcome.dead_lettered or not follow:
            click.echo(
                f"stored {len(outcome.stored)}, failed {len(outcome.failed)}, "
                f"dead-lettered {len(outcome.dead_lettered)}"
            )
        if not follow:
            return
        time.sleep(0.5)


@queue.command("redrive")
def queue_redrive() -> None:
    """Move dead-lettered comments back to the queue (after fixing what stopped them)."""
    from chalicelib.resilience import writequeue

    click.echo(f"moved {writequeue.redrive()}")


@main.group()
def webmentions() -> None:
    """The webmention verification queue (SQS) of this region."""


@webmentions.command("create")
def webmentions_create() -> None:
    """Create the queue and its dead-letter queue if missing (local stacks; AWS: deploy/)."""
    from chalicelib.linkbacks import queue as mention_queue

    echo_json(mention_queue.create_queues())


@webmentions.command("drain")
@click.option("--follow", is_flag=True, help="Keep polling (a local stand-in for the trigger).")
def webmentions_drain(follow: bool) -> None:
    """Verify queued webmentions now (what the SQS-triggered Lambda does in AWS)."""
    import time

    from chalicelib.linkbacks import queue as mention_queue
    from chalicelib.linkbacks import webmention

    while True:
        outcome = mention_queue.drain(webmention.verify)
        if outcome.stored or outcome.failed or outcome.dead_lettered or not follow:
            click.echo(
                f"handled {len(outcome.stored)}, failed {len(outcome.failed)}, "
                f"dead-lettered {len(outcome.dead_lettered)}"
            )
        if not follow:
            return
        time.sleep(1)


@main.group()
def switch() -> None:
    """The operator's read-only switch (takes effect within 30 s, no deploy)."""


@switch.command("read-only")
@click.argument("message")
@click.option("--site", "site_id", default="", help="Only this site (default: every site).")
def switch_read_only(message: str, site_id: str) -> None:
    """Turn writes off with MESSAGE (shown to readers who try to post)."""
    from chalicelib.platform import errors
    from chalicelib.resilience import switches
    from chalicelib.store import sites

    if not message.strip():
        fail("Give the message readers should see.")
    if site_id:
        try:
            sites.update_site(site_id, {"read_only": message})
        except errors.SidenoteError as exc:
            fail(exc.message)
    else:
        switches.set_service(message)
    click.echo(f"read-only{' (' + site_id + ')' if site_id else ''}: {message}")


@switch.command("writable")
@click.option("--site", "site_id", default="", help="Only this site (default: the service).")
def switch_writable(site_id: str) -> None:
    """Turn writes back on."""
    from chalicelib.platform import errors
    from chalicelib.resilience import switches
    from chalicelib.store import sites

    if site_id:
        try:
            sites.update_site(site_id, {"read_only": ""})
        except errors.SidenoteError as exc:
            fail(exc.message)
    else:
        switches.set_service("")
    click.echo("writable" + (f" ({site_id})" if site_id else ""))


@switch.command("show")
def switch_show() -> None:
    """The deployment-wide switch as stored."""
    from chalicelib.resilience import switches

    echo_json(switches.show())

"""``sidenote``: the operators' command line (tables, sites, moderator keys).

Run as ``sidenote …`` (installed into the venv by the Makefile) or ``python -m sidenote_cli``.
Where DynamoDB is comes from the environment (``DYNAMODB_ENDPOINT``, ``AWS_REGION``,
``SIDENOTE_TABLE_PREFIX``) or from the global options, which override it.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import click


def _echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False))


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


@click.group()
@click.option(
    "--endpoint",
    envvar="DYNAMODB_ENDPOINT",
    default="",
    help="DynamoDB endpoint URL (e.g. http://127.0.0.1:8001 for DynamoDB Local).",
)
@click.option("--region", envvar="AWS_REGION", default="", help="AWS region of this stack.")
@click.option(
    "--prefix",
    envvar="SIDENOTE_TABLE_PREFIX",
    default="",
    help="Table name prefix (default sidenote-dev-).",
)
def main(endpoint: str, region: str, prefix: str) -> None:
    """Operate sidenote: tables, sites and moderator keys."""
    # Settings are read once, when chalicelib.platform.config is first imported: set them first.
    for name, value in (
        ("DYNAMODB_ENDPOINT", endpoint),
        ("AWS_REGION", region),
        ("SIDENOTE_TABLE_PREFIX", prefix),
    ):
        if value:
            os.environ[name] = value
    if endpoint:
        # DynamoDB Local accepts any credentials; botocore still wants some.
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    if not (os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")):
        os.environ["AWS_DEFAULT_REGION"] = "us-east-1"


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

    _echo_json(
        writequeue.create_queues(max_receives=max_receives, visibility_timeout=visibility_timeout)
    )


@queue.command("depth")
def queue_depth() -> None:
    """Messages waiting on the queue and on the dead-letter queue."""
    from chalicelib.resilience import writequeue

    _echo_json(writequeue.depth())


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

    _echo_json(mention_queue.create_queues())


@webmentions.command("drain")
def webmentions_drain() -> None:
    """Verify queued webmentions now (what the SQS-triggered Lambda does in AWS)."""
    from chalicelib.linkbacks import queue as mention_queue
    from chalicelib.linkbacks import webmention

    outcome = mention_queue.drain(webmention.verify)
    click.echo(
        f"handled {len(outcome.stored)}, failed {len(outcome.failed)}, "
        f"dead-lettered {len(outcome.dead_lettered)}"
    )


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
        _fail("Give the message readers should see.")
    if site_id:
        try:
            sites.update_site(site_id, {"read_only": message})
        except errors.SidenoteError as exc:
            _fail(exc.message)
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
            _fail(exc.message)
    else:
        switches.set_service("")
    click.echo("writable" + (f" ({site_id})" if site_id else ""))


@switch.command("show")
def switch_show() -> None:
    """The deployment-wide switch as stored."""
    from chalicelib.resilience import switches

    _echo_json(switches.show())


# --- sites -------------------------------------------------------------------------------


@main.group()
def site() -> None:
    """Sites (one per blog)."""


def _settings_options(f: Any) -> Any:
    options = [
        click.option(
            "--origin",
            "origins",
            multiple=True,
            help="Allowed origin (repeatable), e.g. https://blog.example.",
        ),
        click.option("--moderation", type=click.Choice(["none", "first-time", "links", "all"])),
        click.option(
            "--edit-window",
            "edit_window_minutes",
            type=int,
            help="Minutes an author may edit or delete.",
        ),
        click.option("--max-length", type=int, help="Longest comment, in characters."),
        click.option("--require-author/--no-require-author", default=None),
        click.option("--require-email/--no-require-email", default=None),
        click.option("--notify-email", help="Where moderation notices go."),
        click.option("--read-only", help="Switch writes off with this message ('' = writable)."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def _changes(**values: Any) -> dict[str, Any]:
    changes = {k: v for k, v in values.items() if v is not None and k != "origins"}
    if values.get("origins"):
        changes["origins"] = list(values["origins"])
    return changes


@site.command("create")
@click.argument("site_id")
@click.option("--name", required=True, help="The blog's name.")
@_settings_options
def site_create(site_id: str, name: str, **values: Any) -> None:
    """Create a site with the public id SITE_ID."""
    from chalicelib.platform import errors
    from chalicelib.store import sites

    try:
        config = sites.create_site(site_id, name, **_changes(**values))
    except errors.SidenoteError as exc:
        _fail(exc.message)
    _echo_json(config.public_settings())


@site.command("list")
def site_list() -> None:
    """List every site."""
    from chalicelib.store import sites

    _echo_json([s.public_settings() for s in sites.list_sites()])


@site.command("show")
@click.argument("site_id")
def site_show(site_id: str) -> None:
    """Show a site's settings."""
    from chalicelib.platform import errors
    from chalicelib.store import sites

    try:
        _echo_json(sites.get_site(site_id, fresh=True).public_settings())
    except errors.SidenoteError as exc:
        _fail(exc.message)


@site.command("update")
@click.argument("site_id")
@click.option("--name")
@_settings_options
def site_update(site_id: str, **values: Any) -> None:
    """Change a site's settings (only the options given)."""
    from chalicelib.platform import errors
    from chalicelib.store import sites

    try:
        _echo_json(sites.update_site(site_id, _changes(**values)).public_settings())
    except errors.SidenoteError as exc:
        _fail(exc.message)


# --- moderator keys ----------------------------------------------------------------------


@main.group()
def key() -> None:
    """Moderator API keys (stored as SHA-256 hashes; a key is shown only when created)."""


@key.command("create")
@click.argument("site_id")
@click.option("--name", default="moderator", help="Who or what holds the key.")
def key_create(site_id: str, name: str) -> None:
    """Create a moderator key for SITE_ID and print it once."""
    from chalicelib.platform import errors
    from chalicelib.store import sites

    try:
        secret, info = sites.create_key(site_id, name)
    except errors.SidenoteError as exc:
        _fail(exc.message)
    click.echo(f"key id: {info.id}  site: {info.site}  name: {info.name}", err=True)
    click.echo("Store this key now; it is not shown again:", err=True)
    click.echo(secret)


@key.command("list")
@click.argument("site_id")
def key_list(site_id: str) -> None:
    """List the keys of SITE_ID (ids and names, never the keys)."""
    from chalicelib.store import sites

    _echo_json([vars(info) for info in sites.list_keys(site_id)])


@key.command("revoke")
@click.argument("site_id")
@click.argument("key_id")
def key_revoke(site_id: str, key_id: str) -> None:
    """Revoke key KEY_ID of SITE_ID."""
    from chalicelib.platform import errors
    from chalicelib.store import sites

    try:
        _echo_json(vars(sites.revoke_key(site_id, key_id)))
    except errors.SidenoteError as exc:
        _fail(exc.message)


# --- health reports: status notes, probes, digests ----------------------------------------


@main.group()
def status() -> None:
    """Health reports: incident notes, probes (and a local probe loop), daily digests."""


@status.command("note")
@click.argument("text")
@click.option("--site", default=None, help="Only this site (default: everyone).")
def status_note(text: str, site: str | None) -> None:
    """Post an incident note (the first line is the summary the widget shows)."""
    from chalicelib.health import notes
    from chalicelib.platform import errors

    try:
        _echo_json(notes.post(text, site).view())
    except errors.SidenoteError as exc:
        _fail(exc.message)


@status.command("resolve")
@click.argument("note_id")
@click.option("--text", default=None, help="What was done (shown with the note).")
def status_resolve(note_id: str, text: str | None) -> None:
    """Resolve note NOTE_ID."""
    from chalicelib.health import notes
    from chalicelib.platform import errors

    try:
        _echo_json(notes.resolve(note_id, text).view())
    except errors.SidenoteError as exc:
        _fail(exc.message)


@status.command("list")
@click.option("--all", "everything", is_flag=True, help="Resolved notes too.")
def status_list(everything: bool) -> None:
    """List active incident notes (newest first)."""
    from chalicelib.health import notes

    found = notes.recent()
    _echo_json([n.view() for n in found if everything or n.active])


@status.command("show")
def status_show() -> None:
    """The current status (what GET /status answers)."""
    from chalicelib.health import statuspage

    body, _ = statuspage.read()
    for region in body["regions"]:
        region.pop("timeline", None)
    _echo_json(body)


def _probe_line(outcome) -> str:
    state = outcome.state
    pending = f" ({state.candidate} {state.streak}/{_confirm()})" if state.candidate else ""
    latency = outcome.report.latency_ms
    return (
        f"{outcome.report.at} {outcome.report.region}: {state.state}{pending}"
        + (f", canary {latency:g} ms" if latency is not None else "")
        + (f" — {outcome.report.reason}" if outcome.report.reason else "")
    )


def _confirm() -> int:
    from chalicelib.platform import config

    return config.settings.probe_confirm


@status.command("probe")
def status_probe() -> None:
    """Probe this region once: store the report, move the state, alert on change."""
    from chalicelib.health import probes, reports

    with probes.budget():
        outcome = reports.probe_and_record(metrics=False)
    click.echo(_probe_line(outcome))
    if outcome.alert:
        click.echo(f"ALERT: {outcome.alert}")


@status.command("probe-loop")
@click.option(
    "--interval",
    type=float,
    envvar="SIDENOTE_PROBE_INTERVAL",
    default=60.0,
    show_default=True,
    help="Seconds between probes (the deployed schedule runs every minute).",
)
def status_probe_loop(interval: float) -> None:
    """Probe every INTERVAL seconds until stopped (local stacks: schedules don't fire there)."""
    import time

    os.environ["SIDENOTE_PROBE_INTERVAL"] = str(interval)
    from chalicelib.health import probes, reports
    from chalicelib.platform import config

    config.settings = config.load()
    click.echo(f"probing every {interval:g} s (state changes after {_confirm()} probes agree)")
    while True:
        started = time.monotonic()
        try:
            with probes.budget():
                outcome = reports.probe_and_record(metrics=False)
            click.echo(_probe_line(outcome))
            if outcome.alert:
                click.echo(f"ALERT: {outcome.alert}")
        except Exception as exc:  # keep looping: the next probe may work
            click.echo(f"probe failed: {exc!r}", err=True)
        time.sleep(max(0.0, interval - (time.monotonic() - started)))


@status.command("digest")
@click.option("--day", default=None, help="YYYY-MM-DD (default: yesterday, UTC).")
def status_digest(day: str | None) -> None:
    """Make, store and send every site's daily digest now."""
    from chalicelib.health import digest

    _echo_json(digest.run(digest.parse_day(day), only_home=False))


from sidenote_cli.secret import secret  # noqa: E402 (a group of its own module)

main.add_command(secret)

from sidenote_cli.migrate.commands import export_command, import_command  # noqa: E402

main.add_command(import_command)
main.add_command(export_command)

if __name__ == "__main__":
    main()

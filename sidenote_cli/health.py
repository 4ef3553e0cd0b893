"""Health reports: status notes, probes, digests."""

from __future__ import annotations

import os

import click

from sidenote_cli.root import echo_json, fail, main

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
        echo_json(notes.post(text, site).view())
    except errors.SidenoteError as exc:
        fail(exc.message)


@status.command("resolve")
@click.argument("note_id")
@click.option("--text", default=None, help="What was done (shown with the note).")
def status_resolve(note_id: str, text: str | None) -> None:
    """Resolve note NOTE_ID."""
    from chalicelib.health import notes
    from chalicelib.platform import errors

    try:
        echo_json(notes.resolve(note_id, text).view())
    except errors.SidenoteError as exc:
        fail(exc.message)


@status.command("list")
@click.option("--all", "everything", is_flag=True, help="Resolved notes too.")
def status_list(everything: bool) -> None:
    """List active incident notes (newest first)."""
    from chalicelib.health import notes

    found = notes.recent()
    echo_json([n.view() for n in found if everything or n.active])


@status.command("show")
def status_show() -> None:
    """The current status (what GET /status answers)."""
    from chalicelib.health import statuspage

    body, _ = statuspage.read()
    for region in body["regions"]:
        region.pop("timeline", None)
    echo_json(body)


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

    echo_json(digest.run(digest.parse_day(day), only_home=False))

"""Sites and their moderator keys."""

from __future__ import annotations

from typing import Any

import click

from sidenote_cli.root import echo_json, fail, main

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
        fail(exc.message)
    echo_json(config.public_settings())


@site.command("list")
def site_list() -> None:
    """List every site."""
    from chalicelib.store import sites

    echo_json([s.public_settings() for s in sites.list_sites()])


@site.command("show")
@click.argument("site_id")
def site_show(site_id: str) -> None:
    """Show a site's settings."""
    from chalicelib.platform import errors
    from chalicelib.store import sites

    try:
        echo_json(sites.get_site(site_id, fresh=True).public_settings())
    except errors.SidenoteError as exc:
        fail(exc.message)


@site.command("update")
@click.argument("site_id")
@click.option("--name")
@_settings_options
def site_update(site_id: str, **values: Any) -> None:
    """Change a site's settings (only the options given)."""
    from chalicelib.platform import errors
    from chalicelib.store import sites

    try:
        echo_json(sites.update_site(site_id, _changes(**values)).public_settings())
    except errors.SidenoteError as exc:
        fail(exc.message)


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
        fail(exc.message)
    click.echo(f"key id: {info.id}  site: {info.site}  name: {info.name}", err=True)
    click.echo("Store this key now; it is not shown again:", err=True)
    click.echo(secret)


@key.command("list")
@click.argument("site_id")
def key_list(site_id: str) -> None:
    """List the keys of SITE_ID (ids and names, never the keys)."""
    from chalicelib.store import sites

    echo_json([vars(info) for info in sites.list_keys(site_id)])


@key.command("revoke")
@click.argument("site_id")
@click.argument("key_id")
def key_revoke(site_id: str, key_id: str) -> None:
    """Revoke key KEY_ID of SITE_ID."""
    from chalicelib.platform import errors
    from chalicelib.store import sites

    try:
        echo_json(vars(sites.revoke_key(site_id, key_id)))
    except errors.SidenoteError as exc:
        fail(exc.message)

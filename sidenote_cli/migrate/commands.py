"""The ``sidenote import`` and ``sidenote export`` commands, and the parsers' registry.

Parsers are imported only when their format is asked for, so a parser module that is
missing or broken gives a clear error for that format and leaves the rest of the CLI
working.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click

from sidenote_cli.migrate.source import SourceComment, SourceError

#: format name → the module whose ``parse(path)`` reads it.
FORMATS = {
    "disqus": "sidenote_cli.migrate.formats.disqus",
    "wordpress": "sidenote_cli.migrate.formats.wordpress",
    "isso": "sidenote_cli.migrate.formats.isso",
    "remark42": "sidenote_cli.migrate.formats.remark42",
    "commento": "sidenote_cli.migrate.formats.commento",
    "haloscan": "sidenote_cli.migrate.formats.haloscan",
    "sidenote": "sidenote_cli.migrate.formats.sidenote",
}


class FormatUnavailable(Exception):
    """The format's parser cannot be loaded."""


def parser_for(fmt: str) -> Callable[[Path], Iterator[SourceComment]]:
    """The ``parse`` function of ``fmt``. Raises FormatUnavailable."""
    module_name = FORMATS[fmt]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            raise FormatUnavailable(f"the {fmt} parser is not installed ({module_name})") from exc
        raise FormatUnavailable(f"the {fmt} parser cannot load: {exc}") from exc
    except Exception as exc:
        raise FormatUnavailable(f"the {fmt} parser cannot load: {exc!r}") from exc
    parse = getattr(module, "parse", None)
    if not callable(parse):
        raise FormatUnavailable(f"{module_name} has no parse(path) function")
    return parse


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


@click.command("import")
@click.argument("fmt", metavar="FORMAT", type=click.Choice(sorted(FORMATS)))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--site", "site_id", required=True, help="The site to import into.")
@click.option("--dry-run", is_flag=True, help="Parse and check everything; write nothing.")
@click.option(
    "--map",
    "map_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV of old,new thread keys (old: the identifier, URL path or URL).",
)
@click.option("--report", "report_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report as JSON here.")  # fmt: skip
@click.option("--workers", default=4, show_default=True, help="Threads stored side by side.")
def import_command(
    fmt: str,
    file: Path,
    site_id: str,
    dry_run: bool,
    map_file: Path | None,
    report_file: Path | None,
    workers: int,
) -> None:
    """Import the comments of FILE (an export of FORMAT) into a site.

    Safe to run again: comments already imported are skipped (same ids), counts move
    once. Replies to missing or deleted comments hang under a tombstone.
    """
    from chalicelib.platform import errors
    from chalicelib.store import sites
    from sidenote_cli.migrate.importer import run_import
    from sidenote_cli.migrate.keys import load_map

    try:
        parse = parser_for(fmt)
        mapping = load_map(map_file) if map_file else {}
        site = sites.get_site(site_id, fresh=True)
    except (FormatUnavailable, SourceError) as exc:
        _fail(str(exc))
    except errors.SidenoteError as exc:
        _fail(exc.message)
    bar = _progress_bar()
    try:
        report = run_import(
            site, fmt, file, parse, mapping=mapping, dry_run=dry_run, workers=workers,
            progress=bar.update if bar else None, on_checked=_total(bar),
        )  # fmt: skip
    except SourceError as exc:
        _fail(f"{file}: {exc} (nothing was imported)")
    finally:
        if bar:
            bar.close()
    click.echo(report.summary())
    if report_file:
        report.write(report_file)
    if report.outcome != "complete":
        sys.exit(1)


def _total(bar: Any) -> Callable[[int], None] | None:
    def set_total(total: int) -> None:
        bar.total = total
        bar.refresh()

    return set_total if bar else None


def _progress_bar() -> Any:
    """A tqdm bar on a terminal (on stderr); None otherwise."""
    if not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(unit=" comments", file=sys.stderr)


@click.command("export")
@click.option("--site", "site_id", required=True, help="The site to export.")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "disqus"]), default="jsonl",
              show_default=True, help="jsonl: sidenote's own; disqus: Disqus's import (WXR).")  # fmt: skip
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="File to write (default: standard output).")  # fmt: skip
def export_command(site_id: str, fmt: str, output: Path | None) -> None:
    """Write every comment of a site (every status, parents, times, types)."""
    from chalicelib.platform import errors
    from chalicelib.store import sites
    from sidenote_cli.migrate.exporter import export

    try:
        site = sites.get_site(site_id, fresh=True)
    except errors.SidenoteError as exc:
        _fail(exc.message)
    if output is None:
        count = export(site, fmt, sys.stdout)
    else:
        with open(output, "w", encoding="utf-8") as out:
            count = export(site, fmt, out)
    click.echo(f"exported {count} comments of {site_id} ({fmt})", err=True)

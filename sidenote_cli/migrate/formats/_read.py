"""Reading helpers the parsers share: gzip or not, line numbers while streaming, safe XML, times.

Everything here streams: files are read in chunks of at most :data:`CHUNK` bytes that never
span a line break, so the line a chunk came from is always known, and memory stays flat
however big the file is.
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO
from xml.etree import ElementTree
from xml.parsers import expat

import defusedxml
from defusedxml.ElementTree import DefusedXMLParser

from sidenote_cli.migrate.source import SourceError

#: Largest piece handed to a parser at once (a longer line is read in several pieces).
CHUNK = 64 * 1024

_GZIP_MAGIC = b"\x1f\x8b"


def open_binary(path: Path) -> BinaryIO:
    """``path`` opened for binary reading, decompressed on the fly when it is gzip.

    Raises :class:`SourceError` when the file cannot be opened.
    """
    try:
        raw = open(path, "rb")  # noqa: SIM115 (returned to the caller, who closes it)
    except OSError as exc:
        raise SourceError(f"cannot open {path}: {exc.strerror or exc}") from exc
    if raw.read(2) == _GZIP_MAGIC:
        raw.seek(0)
        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    raw.seek(0)
    return raw


#: What a damaged gzip stream raises while it is read.
GZIP_ERRORS = (gzip.BadGzipFile, EOFError, zlib.error)


class LineReader(io.RawIOBase):
    """A binary reader whose every ``read`` returns at most one line (or part of one).

    ``line`` is the 1-based number of the line the last chunk came from, so a parser
    fed from it can say where it failed. Gzip damage surfaces as :class:`SourceError`.
    """

    def __init__(self, stream: BinaryIO) -> None:
        super().__init__()
        self._stream = stream
        self._ended_lines = 0  # complete lines handed out so far
        self.line = 1

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        limit = CHUNK if size is None or size < 0 else min(size, CHUNK)
        try:
            chunk = self._stream.readline(limit)
        except GZIP_ERRORS as exc:
            raise SourceError(f"damaged gzip data: {exc}", line=self._ended_lines + 1) from exc
        self.line = self._ended_lines + 1
        if chunk.endswith(b"\n"):
            self._ended_lines += 1
        return chunk

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        chunk = self.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)

    def close(self) -> None:
        self._stream.close()
        super().close()


def numbered_lines(stream: BinaryIO) -> Iterator[tuple[int, bytes]]:
    """``(line number, line)`` pairs of a binary stream, one line in memory at a time."""
    number = 0
    while True:
        try:
            line = stream.readline()
        except GZIP_ERRORS as exc:
            raise SourceError(f"damaged gzip data: {exc}", line=number + 1) from exc
        if not line:
            return
        number += 1
        yield number, line


def xml_events(
    stream: BinaryIO, events: tuple[str, ...] = ("start", "end")
) -> Iterator[tuple[str, ElementTree.Element, int]]:
    """``(event, element, line)`` from a safe XML parser fed the stream line by line.

    Entity declarations (billion laughs, external entities) and external references are
    refused with a :class:`SourceError` naming the line; so is malformed XML. The
    encoding is the one the XML declaration names (UTF-8 without one). Callers keep
    memory flat by removing elements from their parents once used.
    """
    parser = DefusedXMLParser(
        target=ElementTree.TreeBuilder(),
        forbid_dtd=False,
        forbid_entities=True,
        forbid_external=True,
    )
    pull = ElementTree.XMLPullParser(events=events, _parser=parser)
    reader = LineReader(stream)
    while True:
        chunk = reader.read(CHUNK)
        try:
            if chunk:
                pull.feed(chunk)
            else:
                pull.close()
            for event, element in pull.read_events():
                yield event, element, reader.line
        except defusedxml.EntitiesForbidden as exc:
            raise SourceError(
                f"the file declares the XML entity {exc.name!r}: refused (entity "
                "declarations are how billion-laughs and external-entity attacks work)",
                line=reader.line,
            ) from exc
        except defusedxml.ExternalReferenceForbidden as exc:
            raise SourceError(
                f"the file refers to an external resource ({exc.sysid}): refused",
                line=reader.line,
            ) from exc
        except defusedxml.DTDForbidden as exc:
            raise SourceError("the file has a DTD: refused", line=reader.line) from exc
        except SyntaxError as exc:  # ElementTree.ParseError (either implementation)
            position = getattr(exc, "position", None) or (reader.line, 0)
            code = getattr(exc, "code", None)
            reason = expat.ErrorString(code) if code else str(exc)
            raise SourceError(
                f"not well-formed XML: {reason} (column {position[1] + 1})", line=position[0]
            ) from exc
        except LookupError as exc:  # an encoding Python does not know
            raise SourceError(f"unknown encoding: {exc}", line=reader.line) from exc
        if not chunk:
            return


def local_name(tag: str) -> str:
    """``{namespace}name`` → ``name``, lower-cased (the parsers match names loosely)."""
    return tag.rsplit("}", 1)[-1].lower()


def utc_from_timestamp(seconds: float) -> datetime:
    """Unix seconds → an aware UTC datetime."""
    return datetime.fromtimestamp(seconds, tz=UTC)


def parse_rfc3339(text: str) -> datetime:
    """An RFC 3339 time (any fraction of a second, ``Z`` or an offset) as aware UTC.

    A time without a zone is taken as UTC. Raises ``ValueError`` when it is not one.
    """
    value = datetime.fromisoformat(text.strip())
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)

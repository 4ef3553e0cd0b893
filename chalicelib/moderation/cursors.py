"""Signed listing cursors: a cursor reaches only the listing that issued it."""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from typing import Any

from chalicelib.platform import tokens
from chalicelib.platform.errors import InvalidCursor


def encode(scope: str, key: dict[str, Any]) -> str:
    raw = json.dumps(key, separators=(",", ":"), sort_keys=True)
    tag = tokens.keyed_hash("moderation-cursor", f"{scope}\x00{raw}", 16)
    return base64.urlsafe_b64encode(f"{tag}{raw}".encode()).decode().rstrip("=")


def decode(scope: str, cursor: str | None) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        tag, raw = text[:16], text[16:]
        expected = tokens.keyed_hash("moderation-cursor", f"{scope}\x00{raw}", 16)
        if not hmac.compare_digest(tag.encode(), expected.encode()):  # str: ASCII only
            raise ValueError("tag")
        key = json.loads(raw)
        if not isinstance(key, dict):
            raise ValueError("shape")
        return key
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise InvalidCursor("The cursor is not valid for this listing; start again.") from exc

"""JSON Schema building blocks for the OpenAPI document: constructors, and the text rules of
:mod:`chalicelib.platform.validation` written as ECMA-262 patterns."""

from __future__ import annotations

import re
from typing import Any

from chalicelib.platform import validation as v

Schema = dict[str, Any]


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def ecma(pattern: re.Pattern[str]) -> str:
    """A Python pattern of validation.py as an ECMA-262 one (``\\Z`` → ``$``)."""
    return pattern.pattern.replace(r"\Z", "$")


def string(**extra: Any) -> Schema:
    return {"type": "string", **extra}


def integer(**extra: Any) -> Schema:
    return {"type": "integer", **extra}


def nullable(schema: Schema) -> Schema:
    """OpenAPI 3.1: ``type: [T, "null"]`` (an enum gains ``None`` too)."""
    widened = {**schema, "type": [schema["type"], "null"]}
    if "enum" in schema:
        widened["enum"] = [*schema["enum"], None]
    return widened


def array(items: Schema, **extra: Any) -> Schema:
    return {"type": "array", "items": items, **extra}


def obj(required: str | list[str] = "*", **properties: Schema) -> Schema:
    """An object; ``required="*"`` (the default): every property is always present."""
    names = list(properties) if required == "*" else required
    schema: Schema = {"type": "object", "properties": properties}
    if names:
        schema["required"] = names
    return schema


BOOLEAN: Schema = {"type": "boolean"}
COUNT = integer(minimum=0)
ANY_JSON: Schema = {"description": "Any JSON value."}

# --- text rules of validation.py (control characters are Unicode category Cc) -------------

_CC = r"\u0000-\u001f\u007f-\u009f"
#: No control characters (single-line fields), or only tab, LF and CR (comment text).
SINGLE_LINE = rf"^[^{_CC}]*$"
_TEXT_CC = r"\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f"
#: At least one visible character (a blank field counts as missing) and no control characters.
REQUIRED_LINE = rf"^[^{_CC}]*[^\s{_CC}][^{_CC}]*$"
REQUIRED_TEXT = rf"^[^{_TEXT_CC}]*[^\s{_TEXT_CC}][^{_TEXT_CC}]*$"
#: An http(s) URL without spaces (a subset of what validation.py accepts: a plain host name).
HTTP_URL = rf"^[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9._~-]+(:[0-9]{{1,5}})?([/?#][^\s{_CC}]*)?$"


def comment_id() -> Schema:
    return string(pattern=ecma(v.ULID), description="A ULID (26 characters, time-ordered).")


def thread_key() -> Schema:
    """A thread key as :func:`~chalicelib.platform.validation.normalize_thread_key` takes it."""
    return string(
        minLength=1,
        maxLength=v.MAX_THREAD_KEY,
        pattern=REQUIRED_LINE,
        description="Chosen by the blog: a post id or the page path. Normalised: trimmed, NFC, "
        "a trailing `/` is not significant; no control characters.",
    )

"""X-Ray, behind one small module so that moving to OpenTelemetry touches only this file.

Only botocore is patched: patching pynamodb as well would record every call twice.
Tracing is on only inside Lambda with ``AWS_XRAY_SDK_ENABLED=true`` (never in tests).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from chalicelib.platform import config

_started = False


def start() -> None:
    """Patch botocore once per container, when tracing is on."""
    global _started
    if _started or not config.settings.tracing:
        return
    from aws_xray_sdk.core import patch

    patch(["botocore"])
    _started = True


@contextmanager
def subsegment(name: str, **annotations: str) -> Iterator[None]:
    """A named subsegment with annotations (a no-op when tracing is off)."""
    if not _started:
        yield
        return
    from aws_xray_sdk.core import xray_recorder

    with xray_recorder.in_subsegment(name) as segment:
        for key, value in annotations.items():
            segment.put_annotation(key, value)
        yield

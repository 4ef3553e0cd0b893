"""The one way sidenote builds AWS clients: bounded timeouts, standard retries, made once.

The SDK's defaults (60 s to connect, 60 s to read, legacy retries) would let one slow
service hold a 20 s Lambda invocation until it times out. Every client made here waits at
most ``connect`` + ``read`` seconds per attempt and makes ``attempts`` attempts in all
(botocore "standard" retry mode, with its jittered backoff).

Clients are cached per (service, region, endpoint, limits) for the life of the process:
botocore clients are thread-safe and building one costs tens of milliseconds.
PynamoDB's own DynamoDB connections are configured by the models' ``Meta`` instead.
"""

from __future__ import annotations

import threading
from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from botocore.session import Session, get_session

from chalicelib.platform import config

#: What a failing AWS call raises through botocore (the storage layer adds PynamoDB's own:
#: ``chalicelib.store.replicas.STORAGE_ERRORS``).
AWS_ERRORS: tuple[type[Exception], ...] = (BotoCoreError, ClientError)

_clients: dict[tuple[Any, ...], Any] = {}
_session: Session | None = None
_lock = threading.Lock()


def client(
    service: str,
    *,
    region: str | None = None,
    endpoint: str | None = None,
    connect: float = 1.0,
    read: float = 2.0,
    attempts: int = 2,
) -> Any:
    """A botocore client of ``service`` in ``region`` (default: this region).

    ``endpoint`` overrides the AWS endpoint (local stacks); ``connect`` and ``read`` are
    seconds per attempt, ``attempts`` counts the first try. The same arguments return the
    same client.
    """
    global _session
    region = region or config.settings.region
    key = (service, region, endpoint or None, connect, read, attempts)
    found = _clients.get(key)
    if found is not None:
        return found
    with _lock:
        found = _clients.get(key)
        if found is None:
            if _session is None:
                _session = get_session()
            found = _session.create_client(
                service,
                region_name=region,
                endpoint_url=endpoint or None,
                config=Config(
                    connect_timeout=connect,
                    read_timeout=read,
                    retries={"mode": "standard", "total_max_attempts": attempts},
                ),
            )
            _clients[key] = found
    return found


def reset(service: str | None = None) -> None:
    """Forget the cached clients (of one ``service``, or all): tests, a new endpoint."""
    with _lock:
        for key in [k for k in _clients if service is None or k[0] == service]:
            del _clients[key]

"""Keyed hashes and tokens derived from the deployment secret.

IPs and e-mail addresses are stored only as keyed hashes (HMAC-SHA256): without the
secret they cannot be reversed by trying every IPv4 address. Moderator keys are random
and stored as plain SHA-256 (they carry 256 bits of entropy; nothing to brute-force).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import lru_cache

from chalicelib.platform import config


@lru_cache(maxsize=1)
def _secret() -> bytes:
    """The deployment secret: from SSM when configured (once per container), else settings."""
    if config.settings.secret_parameter:
        import boto3

        ssm = boto3.client("ssm", region_name=config.settings.region)
        answer = ssm.get_parameter(Name=config.settings.secret_parameter, WithDecryption=True)
        return answer["Parameter"]["Value"].encode()
    return config.settings.secret.encode()


def keyed_hash(purpose: str, value: str, length: int = 32) -> str:
    """Hex HMAC of ``value`` under the secret, domain-separated by ``purpose``."""
    mac = hmac.new(_secret(), f"{purpose}\x00{value}".encode(), hashlib.sha256)
    return mac.hexdigest()[:length]


def edit_token(site: str, comment_id: str) -> str:
    """The token that lets a comment's author edit or delete it."""
    return keyed_hash("edit", f"{site}/{comment_id}", 43)


def check_edit_token(site: str, comment_id: str, token: str | None) -> bool:
    # Compare bytes: compare_digest refuses non-ASCII str (a TypeError, so a 500).
    presented = (token or "").encode("utf-8", "surrogatepass")
    return bool(token) and hmac.compare_digest(edit_token(site, comment_id).encode(), presented)


def new_api_key() -> str:
    """A fresh moderator key: ``sn_`` and 43 url-safe characters (32 random bytes)."""
    return "sn_" + secrets.token_urlsafe(32)


def api_key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()

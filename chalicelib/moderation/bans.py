"""Bans: by e-mail, IP address or range, or a comment's author. Audited."""

from __future__ import annotations

from typing import Any

from chalicelib.moderation.audit import record
from chalicelib.moderation.auth import Moderator
from chalicelib.platform import clock
from chalicelib.platform.errors import BanNotFound, InvalidRequest, NotFound
from chalicelib.store import comments, sites
from chalicelib.store.sites import SiteConfig


def ban_view(ban: Any) -> dict[str, Any]:
    now = clock.now()
    return {
        "id": ban.id,
        "target": ban.target,
        "label": ban.label or ban.target,
        "reason": ban.reason or "",
        "created": ban.created,
        "until": ban.until,
        "active": ban.until is None or clock.parse_rfc3339(ban.until) > now,
        "by": ban.key_id,
    }


def _days(body: dict[str, Any]) -> float | None:
    days = body.get("days")
    if days is None:
        return None
    if isinstance(days, bool) or not isinstance(days, int | float):
        raise InvalidRequest("'days' must be a number (or absent: forever).")
    return float(days)


def ban(site: SiteConfig, body: Any, who: Moderator) -> dict[str, Any]:
    """Ban by ``comment`` (its author's e-mail and IP; ``"range": true`` adds the IP's
    /24 or /48), ``ip`` (an address, or a /24 / /48 range) or ``email``."""
    if not isinstance(body, dict):
        raise InvalidRequest('Send {"comment": id} or {"ip": …} or {"email": …}.')
    given = [name for name in ("comment", "ip", "email") if body.get(name) is not None]
    if len(given) != 1:
        raise InvalidRequest("Give exactly one of 'comment', 'ip' or 'email'.")
    reason = body.get("reason") or ""
    days = _days(body)
    if given[0] == "comment":
        stored = _ban_comment(site, body, days, reason, who)
    else:
        value = body[given[0]]
        if not isinstance(value, str):
            raise InvalidRequest(f"'{given[0]}' must be a string.")
        stored = sites.add_ban(
            site.id, given[0], value, days=days, reason=reason, key_id=who.key_id
        )
    view = ban_view(stored)
    record(site.id, who, "ban", f"ban:{stored.id}", None,
           {k: view[k] for k in ("target", "label", "until", "reason")})  # fmt: skip
    return {"ban": view}


def _ban_comment(
    site: SiteConfig, body: dict[str, Any], days: float | None, reason: str, who: Moderator
) -> Any:
    comment = comments.find(site, body["comment"])
    hashes, parts = [], []
    if comment.email:
        hashes.append(sites.ban_hash("email", comment.email))
        parts.append(f"e-mail {sites.mask_email(comment.email)}")
    if comment.ip_hash:
        hashes.append(comment.ip_hash)
        parts.append("IP address")
    if body.get("range") and comment.net_hash:
        hashes.append(comment.net_hash)
        parts.append("IP range")
    if not hashes:
        raise InvalidRequest("This comment has no e-mail or IP address to ban.")
    label = f"author of comment {comment.id} ({', '.join(parts)})"
    return sites.save_ban(
        site.id, "comment", hashes, label=label, days=days, reason=reason, key_id=who.key_id
    )


def list_bans(site: SiteConfig) -> dict[str, Any]:
    return {"bans": [ban_view(b) for b in sites.list_bans(site.id)]}


def unban(site: SiteConfig, ban_id: str, who: Moderator) -> None:
    try:
        removed = sites.remove_ban(site.id, ban_id)
    except NotFound as exc:
        raise BanNotFound("This site has no ban with this id.") from exc
    view = ban_view(removed)
    record(site.id, who, "unban", f"ban:{ban_id}",
           {k: view[k] for k in ("target", "label", "until", "reason")}, None)  # fmt: skip

"""The sites table's gateway: the only door to it. Other packages call these names.

Sites and their settings with a per-container cache (:mod:`.settings`), bans (:mod:`.bans`),
moderator keys (:mod:`.keys`), known authors (:mod:`.authors`), the moderation audit log
(:mod:`.audit`) and the deployment-wide read-only switch (:mod:`.switch`).
"""

from chalicelib.store.sites.audit import audit_entry, audit_page, save_audit
from chalicelib.store.sites.authors import author_pk, is_known_author
from chalicelib.store.sites.bans import (
    MAX_BAN_DAYS,
    MAX_BAN_REASON,
    add_ban,
    ban_hash,
    ip_hashes,
    is_banned,
    list_bans,
    mask_email,
    parse_ip_target,
    remove_ban,
    save_ban,
)
from chalicelib.store.sites.keys import KeyInfo, create_key, key_for, list_keys, revoke_key
from chalicelib.store.sites.settings import (
    MAX_EDIT_WINDOW_MINUTES,
    MAX_READ_ONLY_MESSAGE,
    MAX_SITE_NAME,
    MIN_MAX_LENGTH,
    MODERATION_MODES,
    SETTING_FIELDS,
    SiteConfig,
    check_settings,
    clear_cache,
    create_site,
    get_site,
    list_sites,
    update_site,
)
from chalicelib.store.sites.switch import read_switch, write_switch

__all__ = [
    "MAX_BAN_DAYS",
    "MAX_BAN_REASON",
    "MAX_EDIT_WINDOW_MINUTES",
    "MAX_READ_ONLY_MESSAGE",
    "MAX_SITE_NAME",
    "MIN_MAX_LENGTH",
    "MODERATION_MODES",
    "SETTING_FIELDS",
    "KeyInfo",
    "SiteConfig",
    "add_ban",
    "audit_entry",
    "audit_page",
    "author_pk",
    "ban_hash",
    "check_settings",
    "clear_cache",
    "create_key",
    "create_site",
    "get_site",
    "ip_hashes",
    "is_banned",
    "is_known_author",
    "key_for",
    "list_bans",
    "list_keys",
    "list_sites",
    "mask_email",
    "parse_ip_target",
    "read_switch",
    "remove_ban",
    "revoke_key",
    "save_audit",
    "save_ban",
    "update_site",
    "write_switch",
]

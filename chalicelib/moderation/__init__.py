"""Moderation: what a site's moderators do, with per-site moderator keys.

Owns the key check (:mod:`.auth`), listings and actions on comments (:mod:`.service`), bans
(:mod:`.bans`), settings and thread locks (:mod:`.site_admin`), the audit log
(:mod:`.audit`), signed cursors (:mod:`.cursors`), held-comment notifications
(:mod:`.notify`, which the posting path calls: the one named gateway between domains) and
the moderation page (:mod:`.page`).
"""

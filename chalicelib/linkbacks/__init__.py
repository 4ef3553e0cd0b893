"""Linkbacks: the conversation between blogs — TrackBack pings and Webmentions received.

Owned here:

- :mod:`.trackback` — TrackBack 1.2 pings (form fields to a comment of type ``trackback``,
  the specification's XML answers);
- :mod:`.webmention` — Webmentions (W3C Recommendation): accepting one (validation, bans,
  rate limit, then the verification queue, 202 at once) and verifying it later (fetch the
  source, confirm it links to the target, extract author, name and content, then store,
  update or remove a comment of type ``webmention``);
- :mod:`.extract` — links and content of a fetched document (microformats2 h-entry through
  ``mf2py``, imported lazily; plain text otherwise);
- :mod:`.fetch` — outbound fetching, the security boundary (public addresses only, checked
  after every redirect and pinned against DNS rebinding; size and time limits);
- :mod:`.queue` — the webmention verification queue (SQS → Lambda) with the write queue's
  durability rules, and its local drain.

Linkbacks are stored through the one posting path (:mod:`chalicelib.threads.posting`): the
site's moderation policy (:mod:`chalicelib.threads.status`), bans, spam checks and rate
limits apply to them as to comments. They are counted apart from comments (``tb`` on the
thread counters).
"""

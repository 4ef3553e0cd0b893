"""PynamoDB models: declarations only. Services in this package are the only users.

Three tables, all on-demand, streams on, global (one replica per region):

``comments``  one partition per thread: ``pk = "<site>#<thread key>"``.
              ``sk = "#COUNT#<region>"`` per-region counters, ``"#META"`` the thread,
              ``"C#<ulid>"`` comments. ``#`` sorts before ``C``, so the first page of a
              thread in ascending order carries meta, counters and comments: one Query.
``sites``     ``pk = "SITE#<id>"``: the site (``sk = "#SITE"``) and its bans (``"BAN#<ulid>"``);
              ``pk = "KEY#<sha256>"``: a moderator key (looked up by its hash).
              ``pk = "AUDIT#<site>"``: the site's moderation audit log (``sk`` a ULID).
``ephemeral`` records that expire by TTL: idempotency records, rate-limit windows, health
              records, notes, digests, notification windows (gateway: store/ephemeral).
"""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    DiscriminatorAttribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from chalicelib.platform import config


class _Meta:
    region = config.settings.region
    host = config.settings.dynamodb_endpoint or None
    billing_mode = "PAY_PER_REQUEST"
    #: Global tables replicate from streams.
    stream_view_type = "NEW_AND_OLD_IMAGES"
    connect_timeout_seconds = config.settings.connect_timeout
    read_timeout_seconds = config.settings.read_timeout
    max_retry_attempts = config.settings.max_retries


class _Regional(Model):
    """Base of the table models: a call inside ``replicas.using(region)`` goes to that
    region's replica (fallback reads, the LWW tests); otherwise to this region's."""

    @classmethod
    def _get_connection(cls):  # type: ignore[override]
        from chalicelib.store.replicas import connection_for

        return connection_for(cls) or super()._get_connection()


# --- comments table -------------------------------------------------------------------


class FeedIndex(GlobalSecondaryIndex):
    """Sparse: only approved comments carry ``feed_site``. Newest first per site."""

    class Meta:
        index_name = "feed"
        projection = AllProjection()

    feed_site = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


class QueueIndex(GlobalSecondaryIndex):
    """Sparse: only comments waiting for a decision carry ``queue_site``."""

    class Meta:
        index_name = "queue"
        projection = AllProjection()

    queue_site = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


class ByIdIndex(GlobalSecondaryIndex):
    """Finds a comment's thread from its id alone (edit, delete, moderation routes)."""

    class Meta:
        index_name = "by-id"
        projection = KeysOnlyProjection()

    id = UnicodeAttribute(hash_key=True)


class ThreadItem(_Regional):
    """Base of every item in a thread partition; ``kind`` picks the subclass."""

    class Meta(_Meta):
        table_name = config.settings.comments_table

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    kind = DiscriminatorAttribute()
    feed_site = UnicodeAttribute(null=True)
    queue_site = UnicodeAttribute(null=True)
    feed = FeedIndex()
    queue = QueueIndex()
    by_id = ByIdIndex()


class ThreadMeta(ThreadItem, discriminator="thread"):
    site = UnicodeAttribute()
    key = UnicodeAttribute()
    title = UnicodeAttribute(null=True)
    url = UnicodeAttribute(null=True)
    locked = BooleanAttribute(default=False)
    created = UnicodeAttribute()


class Counter(ThreadItem, discriminator="counter"):
    """Approved, not deleted comments added in one region. Only that region writes it."""

    n = NumberAttribute(default=0)
    #: The same for linkbacks (trackbacks, webmentions, pingbacks), counted apart.
    tb = NumberAttribute(default=0)


class Comment(ThreadItem, discriminator="comment"):
    id = UnicodeAttribute()
    site = UnicodeAttribute()
    thread = UnicodeAttribute()
    parent = UnicodeAttribute(null=True)
    author = UnicodeAttribute(default="")
    email = UnicodeAttribute(null=True)
    website = UnicodeAttribute(null=True)
    avatar = UnicodeAttribute(null=True)
    ip_hash = UnicodeAttribute(null=True)
    text = UnicodeAttribute(default="")
    html = UnicodeAttribute(default="")
    #: approved | pending | spam | deleted
    status = UnicodeAttribute()
    created = UnicodeAttribute()
    edited = UnicodeAttribute(null=True)
    edit_until = UnicodeAttribute()
    #: Set once an approved reply exists: a deleted comment then stays as a tombstone.
    has_replies = BooleanAttribute(default=False)
    #: The page the comment was posted from (for feeds).
    url = UnicodeAttribute(null=True)
    #: Region that accepted the comment (its counter holds the comment's +1).
    region = UnicodeAttribute(null=True)
    #: Keyed hash of the poster's IPv4 /24 or IPv6 /48 (range bans from a comment).
    net_hash = UnicodeAttribute(null=True)
    #: The status before a moderator's spam/delete (what ``restore`` returns it to).
    prior = UnicodeAttribute(null=True)
    #: comment | pingback | trackback (what the source said it was; imports keep it).
    type = UnicodeAttribute(default="comment")
    #: The system it was imported from (``disqus``, ``wordpress``, …); None: posted here.
    imported = UnicodeAttribute(null=True)


# --- sites table ----------------------------------------------------------------------


class SiteKeysIndex(GlobalSecondaryIndex):
    """Sparse: only moderator keys carry ``key_site``."""

    class Meta:
        index_name = "site-keys"
        projection = AllProjection()

    key_site = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


class SiteItem(_Regional):
    class Meta(_Meta):
        table_name = config.settings.sites_table

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    kind = DiscriminatorAttribute()
    key_site = UnicodeAttribute(null=True)
    site_keys = SiteKeysIndex()


class Site(SiteItem, discriminator="site"):
    id = UnicodeAttribute()
    name = UnicodeAttribute()
    origins = ListAttribute(of=UnicodeAttribute, default=list)
    #: none | first-time | links | all
    moderation = UnicodeAttribute(default="none")
    edit_window_minutes = NumberAttribute(default=15)
    max_length = NumberAttribute(default=5000)
    require_author = BooleanAttribute(default=False)
    require_email = BooleanAttribute(default=False)
    notify_email = UnicodeAttribute(null=True)
    #: Empty: writable. Otherwise the message readers see while writes are off.
    read_only = UnicodeAttribute(default="")
    created = UnicodeAttribute()


class Ban(SiteItem, discriminator="ban"):
    id = UnicodeAttribute()
    #: email | ip | net (an IPv4 /24 or IPv6 /48) | comment (its author's e-mail and IP)
    target = UnicodeAttribute()
    #: Keyed hash of the banned value (never the value itself).
    value_hash = UnicodeAttribute()
    #: More hashes the same ban covers (a comment's author: e-mail, IP, range).
    extra_hashes = ListAttribute(of=UnicodeAttribute, null=True)
    #: What a moderator sees instead of the value (never an IP address).
    label = UnicodeAttribute(null=True)
    #: The moderator key that made the ban (None: the operator CLI).
    key_id = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(default="")
    created = UnicodeAttribute()
    until = UnicodeAttribute(null=True)
    expires = TTLAttribute(null=True)


class KnownAuthor(SiteItem, discriminator="author"):
    """``pk = "AUTHOR#<site>#<keyed hash of e-mail>"``: this address has an approved comment."""

    first = UnicodeAttribute()


class ModeratorKey(SiteItem, discriminator="key"):
    """``pk = "KEY#<sha256 of the key>"``. The key itself is never stored."""

    id = UnicodeAttribute()
    site = UnicodeAttribute()
    name = UnicodeAttribute()
    created = UnicodeAttribute()
    revoked = UnicodeAttribute(null=True)


class Switch(SiteItem, discriminator="switch"):
    """``pk = "SWITCH#read-only"``: the operator's deployment-wide read-only switch (a
    replicated item, so it reaches every region; see switches.py). Empty = writable."""

    message = UnicodeAttribute(default="")
    updated = UnicodeAttribute()
    by = UnicodeAttribute(default="")


class AuditEntry(SiteItem, discriminator="audit"):
    """``pk = "AUDIT#<site>"``, ``sk = <ulid>``: one moderation action, newest last."""

    id = UnicodeAttribute()
    site = UnicodeAttribute()
    key_id = UnicodeAttribute()
    key_name = UnicodeAttribute(default="")
    action = UnicodeAttribute()
    target = UnicodeAttribute()
    before = JSONAttribute(null=True)
    after = JSONAttribute(null=True)
    time = UnicodeAttribute()


# --- ephemeral table ------------------------------------------------------------------


class EphemeralItem(_Regional):
    class Meta(_Meta):
        table_name = config.settings.ephemeral_table

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="#")
    kind = DiscriminatorAttribute()
    expires = TTLAttribute(null=True)


class IdempotencyRecord(EphemeralItem, discriminator="idempotency"):
    """The first response to a request with an ``Idempotency-Key``, replayed on retries."""

    body_hash = UnicodeAttribute()
    status = NumberAttribute()
    response = UnicodeAttribute()


class RateWindow(EphemeralItem, discriminator="rate"):
    n = NumberAttribute(default=0)


class Fingerprint(EphemeralItem, discriminator="fingerprint"):
    """``pk = "DUP#<site>#<keyed hash of the text>"``: the text was posted in the last 24 h."""

    n = NumberAttribute(default=0)
    #: Who posted it first (keyed hash of the Idempotency-Key, or of IP and e-mail).
    owner = UnicodeAttribute(null=True)


class NotifyWindow(EphemeralItem, discriminator="notify"):
    """``pk = "NOTIFY#<site>"``: held comments not yet reported, and when the site's
    moderators were last told. One message per site per window (see notify.py)."""

    n = NumberAttribute(default=0)
    threads = UnicodeSetAttribute(null=True)
    sent_at = NumberAttribute(null=True)


class NotifyDue(EphemeralItem, discriminator="notify-due"):
    """``pk = "NOTIFY#due"``: sites with held comments waiting for the next summary."""

    sites = UnicodeSetAttribute(null=True)


# --- health records (gateways: store/ephemeral, store/comments/canary.py) -------------
# Each item below is written by one region only (its own STATE/PROBE/BUCKET/OUTCOMES
# partitions), except notes, which operators write; the home region writes STATE#overall.
# ``OUTCOMES#<region>`` items (202/503/5xx counts per minute, per site) have dynamic attribute
# names and are written and read with the low-level client by store/ephemeral/outcomes.py.


class LinkbackRef(ThreadItem, discriminator="linkback"):
    """``pk = "WM#<site>#<keyed hash of source and target>"``, ``sk = "#"``: which comment a
    webmention from that source to that target became (a re-send updates it)."""

    comment_id = UnicodeAttribute()
    thread = UnicodeAttribute()


class Canary(ThreadItem, discriminator="canary"):
    """``pk = "#canary"``, ``sk = <region>``: rewritten by its region's probe every run. Other
    regions read its ``written`` time from their replica to measure replication lag."""

    region = UnicodeAttribute()
    written = NumberAttribute()


class ProbeReport(EphemeralItem, discriminator="probe"):
    """``pk = "PROBE#<region>"``, ``sk`` = RFC 3339 time: one probe run (kept 30 days)."""

    region = UnicodeAttribute()
    observed = UnicodeAttribute()
    state = UnicodeAttribute()
    report = UnicodeAttribute()


class RegionState(EphemeralItem, discriminator="state"):
    """``pk = "STATE#<region>"`` or ``"STATE#overall"``: the confirmed state, the candidate
    state and its streak (hysteresis), and the latest report as JSON."""

    state = UnicodeAttribute()
    since = UnicodeAttribute()
    reason = UnicodeAttribute(default="")
    candidate = UnicodeAttribute(null=True)
    streak = NumberAttribute(default=0)
    updated = UnicodeAttribute()
    interval = NumberAttribute(default=60)
    report = UnicodeAttribute(default="{}")
    alert_pending = UnicodeAttribute(null=True)


class StatusBucket(EphemeralItem, discriminator="bucket"):
    """``pk = "BUCKET#<region>"``, ``sk`` = start of a 15-minute slot: how many probes found
    each state, and their canary latencies (for timelines, availability and p95)."""

    ok = NumberAttribute(default=0)
    degraded = NumberAttribute(default=0)
    down = NumberAttribute(default=0)
    latencies = ListAttribute(of=NumberAttribute, default=list)


class StatusNote(EphemeralItem, discriminator="note"):
    """``pk = "NOTES"``, ``sk`` = note id (ULID): an operator's incident note."""

    id = UnicodeAttribute()
    text = UnicodeAttribute()
    site = UnicodeAttribute(null=True)
    created = UnicodeAttribute()
    updated = UnicodeAttribute()
    resolved = UnicodeAttribute(null=True)
    resolution = UnicodeAttribute(null=True)


class DigestRecord(EphemeralItem, discriminator="digest"):
    """``pk = "DIGEST#<site>"``, ``sk`` = the day (``YYYY-MM-DD``): a site's daily digest."""

    site = UnicodeAttribute()
    day = UnicodeAttribute()
    body = UnicodeAttribute()


class DayCount(EphemeralItem, discriminator="day"):
    """``pk = "DAY#<site>#<YYYY-MM-DD>"``, ``sk`` = region: the comments created on that UTC
    day by their current status, as this region changed them (each region writes only its
    own item; a day's figures are the sum). Updated in the same transactions as the comments
    (post, moderation, author's delete), so a daily report never scans the table."""

    posted = NumberAttribute(default=0)
    approved = NumberAttribute(default=0)
    held = NumberAttribute(default=0)
    spam = NumberAttribute(default=0)
    deleted = NumberAttribute(default=0)


ALL_TABLES: tuple[type[Model], ...] = (ThreadItem, SiteItem, EphemeralItem)

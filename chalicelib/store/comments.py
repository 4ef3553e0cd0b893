"""Comments and threads: the only module that touches the comments table.

Write path: a post is prepared (validated, rendered, given its id) and then stored in one
DynamoDB transaction — the comment (only if its id is new), the thread meta (refused if
the thread is locked), this region's counter (if approved), the parent's reply flag and
the idempotency record. Storing the same prepared comment twice changes nothing.

Read path: the first page of a thread is one Query of its partition.
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite
from ulid import ULID

from chalicelib.platform import clock, config, tokens
from chalicelib.platform.errors import (
    Banned,
    CommentNotFound,
    EditNotAllowed,
    InvalidCursor,
    InvalidRequest,
    ParentNotFound,
    RateLimited,
    ReadOnly,
    ThreadLocked,
)
from chalicelib.platform.validation import ULID as ULID_PATTERN
from chalicelib.platform.validation import NewComment, normalize_thread_key
from chalicelib.store import idempotency, ratelimit
from chalicelib.store.models import Comment, Counter, KnownAuthor, ThreadItem, ThreadMeta
from chalicelib.store.sites import SiteConfig, is_banned

META_SK = "#META"
COUNTER_PREFIX = "#COUNT#"
COMMENT_PREFIX = "C#"
_TRANSACTION_ATTEMPTS = 4


def thread_pk(site_id: str, key: str) -> str:
    return f"{site_id}#{key}"


def counter_sk(region: str) -> str:
    return f"{COUNTER_PREFIX}{region}"


def queue_key(site_id: str, status: str) -> str | None:
    """The sparse ``queue`` index key: pending comments under the site id (the moderation
    queue); spam and moderator-deleted ones in their own folders; approved: none."""
    if status == "pending":
        return site_id
    return f"{site_id}#{status}" if status in {"spam", "deleted"} else None


# --- public views ----------------------------------------------------------------------


def public_view(comment: Comment) -> dict[str, Any]:
    """The allow-listed public fields. Never e-mail, IP or Markdown source."""
    deleted = comment.status == "deleted"
    return {
        "id": comment.id,
        "parent": comment.parent,
        "author": "" if deleted else comment.author,
        "website": None if deleted else comment.website,
        "avatar": None if deleted else comment.avatar,
        "html": "" if deleted else comment.html,
        "created": comment.created,
        "edited": comment.edited,
        "deleted": deleted,
    }


def thread_view(key: str, meta: ThreadMeta | None, counters: list[Counter]) -> dict[str, Any]:
    return {
        "key": key,
        "title": meta.title if meta else None,
        "url": meta.url if meta else None,
        "locked": bool(meta.locked) if meta else False,
        "count": max(0, sum(int(c.n) for c in counters)),
    }


# --- reading ---------------------------------------------------------------------------


def _encode_cursor(sort: str, sk: str) -> str:
    raw = f"{sort[0]}{sk[len(COMMENT_PREFIX) :]}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str, sort: str) -> str:
    """The sort key to resume after. Raises InvalidCursor for anything we did not issue."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise InvalidCursor("The cursor is not valid; start again without it.") from exc
    if len(raw) != 27 or raw[0] != sort[0] or not ULID_PATTERN.match(raw[1:]):
        raise InvalidCursor("The cursor is not valid for this sort order; start again without it.")
    return COMMENT_PREFIX + raw[1:]


_VISIBLE = (
    Comment.status.does_not_exist()
    | (Comment.status == "approved")
    | ((Comment.status == "deleted") & (Comment.has_replies == True))  # noqa: E712
)


def _query_page(
    pk: str, *, forward: bool, limit: int, start_sk: str | None, range_condition: Any = None
) -> tuple[list[ThreadItem], str | None]:
    """One Query call: items of the page and the last evaluated sort key (None at the end)."""
    response = ThreadItem._get_connection().query(
        pk,
        range_key_condition=range_condition,
        filter_condition=_VISIBLE,
        scan_index_forward=forward,
        exclusive_start_key={"pk": {"S": pk}, "sk": {"S": start_sk}} if start_sk else None,
        limit=limit,
    )
    items = [ThreadItem.from_raw_data(raw) for raw in response.get("Items", [])]
    last = response.get("LastEvaluatedKey")
    return items, last["sk"]["S"] if last else None


def _thread_head(pk: str) -> tuple[ThreadMeta | None, list[Counter]]:
    """Meta and counters alone: one Query of the keys that sort before comments."""
    items, _ = _query_page(
        pk, forward=True, limit=50, start_sk=None, range_condition=ThreadItem.sk < COMMENT_PREFIX
    )
    return _split_head(items)[:2]


def _split_head(items: list[ThreadItem]) -> tuple[ThreadMeta | None, list[Counter], list[Comment]]:
    meta = next((i for i in items if isinstance(i, ThreadMeta)), None)
    counters = [i for i in items if isinstance(i, Counter)]
    comments = [i for i in items if isinstance(i, Comment)]
    return meta, counters, comments


def list_thread(
    site: SiteConfig, key: str, *, sort: str = "oldest", limit: int = 100, cursor: str | None = None
) -> dict[str, Any]:
    """A page of a thread's visible comments, with the thread's meta and count.

    The first page in ``oldest`` order is one Query (meta and counters sort first), and so
    is a ``newest`` page that reaches the end of the thread. Other pages add one small
    Query for the meta and counters.
    A page may hold fewer than ``limit`` comments (held ones are skipped); ``cursor: None``
    is the only sign of the last page.
    """
    pk = thread_pk(site.id, key)
    forward = sort == "oldest"
    start_sk = _decode_cursor(cursor, sort) if cursor else None
    # Room for the head items (meta and counters sort before comments: first when
    # ascending, last when descending) and one comment more than the page, so that a thread
    # that exactly fills the page ends with cursor None instead of an empty extra page.
    room = limit + 1 + len(config.settings.regions) + 1
    items, last_sk = _query_page(pk, forward=forward, limit=room, start_sk=start_sk)
    meta, counters, comments = _split_head(items)
    if len(comments) > limit:
        comments = comments[:limit]
        next_cursor: str | None = _encode_cursor(sort, COMMENT_PREFIX + comments[-1].id)
    elif last_sk and last_sk.startswith(COMMENT_PREFIX):
        next_cursor = _encode_cursor(sort, last_sk)  # held comments filled the rest of the page
    else:
        next_cursor = None
    head_complete = (forward and not start_sk) or (not forward and last_sk is None)
    if not head_complete:
        meta, counters = _thread_head(pk)
    return {
        "thread": thread_view(key, meta, counters),
        "comments": [public_view(c) for c in comments],
        "cursor": next_cursor,
    }


def thread_counts(site: SiteConfig, keys: list[str]) -> dict[str, int]:
    """Approved comment counts of normalised thread ``keys``: BatchGetItem calls only."""
    wanted = list(dict.fromkeys(keys))
    totals = dict.fromkeys(wanted, 0)
    lookup = {thread_pk(site.id, key): key for key in wanted}
    item_keys = [(pk, counter_sk(region)) for pk in lookup for region in config.settings.regions]
    for counter in Counter.batch_get(item_keys):
        totals[lookup[counter.pk]] += int(counter.n)
    return {key: max(0, n) for key, n in totals.items()}


MAX_COUNT_THREADS = 100


def counts(site: SiteConfig, given: object) -> dict[str, int]:
    """Counts for 1–100 thread keys, keyed by the keys exactly as given."""
    if not isinstance(given, list) or not given:
        raise InvalidRequest("Give 1-100 thread keys ('thread' parameters or a 'threads' list).")
    if len(given) > MAX_COUNT_THREADS:
        raise InvalidRequest(f"At most {MAX_COUNT_THREADS} threads per request.")
    normalised = {raw: normalize_thread_key(raw) for raw in given}
    found = thread_counts(site, list(normalised.values()))
    return {raw: found[key] for raw, key in normalised.items()}


def latest(site: SiteConfig, key: str | None, *, limit: int = 50) -> list[Comment]:
    """The newest approved comments of a site (sparse feed index) or of one thread."""
    if key is None:
        found = ThreadItem.feed.query(site.id, scan_index_forward=False, limit=limit)
        return [c for c in found if isinstance(c, Comment) and c.status == "approved"]
    items, _ = _query_page(
        thread_pk(site.id, key),
        forward=False,
        limit=limit,
        start_sk=None,
        range_condition=ThreadItem.sk.startswith(COMMENT_PREFIX),
    )
    return [c for c in items if isinstance(c, Comment) and c.status == "approved"]


def find(site: SiteConfig, comment_id: str) -> Comment:
    """A comment of ``site`` by id (index lookup, then a consistent read)."""
    if not ULID_PATTERN.match(comment_id or ""):
        raise CommentNotFound("No comment has this id.")
    prefix = f"{site.id}#"
    # The index projects keys only (no discriminator), so read it raw.
    response = ThreadItem._get_connection().query(comment_id, index_name="by-id", limit=5)
    for hit in response.get("Items", []):
        pk, sk = hit["pk"]["S"], hit["sk"]["S"]
        if pk.startswith(prefix):
            try:
                found = ThreadItem.get(pk, sk, consistent_read=True)
            except ThreadItem.DoesNotExist:
                break
            if isinstance(found, Comment):
                return found
    raise CommentNotFound("No comment has this id on this site.")


# --- writing ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PreparedComment:
    """A comment ready to store: everything decided, nothing written. JSON-serialisable,
    so it can wait in a queue and be stored later with the same id."""

    id: str
    site: str
    thread: str
    status: str
    text: str
    html: str
    author: str
    email: str | None
    website: str | None
    avatar: str
    ip_hash: str | None
    parent: str | None
    title: str | None
    url: str | None
    created: str
    edit_until: str
    region: str
    idempotency_key: str | None = None
    body_hash: str | None = None
    net_hash: str | None = None
    #: Spam guards folded into the store transaction (spam.py): the site's rate window and
    #: the text's fingerprint (keyed hashes only).
    site_window: str | None = None
    site_limit: int | None = None
    fingerprint: str | None = None
    fingerprint_owner: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def client_status(self) -> str:
        """Spam caught by the honeypot is reported as pending: bots learn nothing."""
        return "pending" if self.status == "spam" else self.status

    def response(self, status: str | None = None) -> dict[str, Any]:
        view = public_view(self.as_model())
        view["status"] = status or self.client_status()
        return {
            "comment": view,
            "edit_token": tokens.edit_token(self.site, self.id),
            "edit_until": self.edit_until,
        }

    def as_model(self) -> Comment:
        pk = thread_pk(self.site, self.thread)
        return Comment(
            pk, COMMENT_PREFIX + self.id, id=self.id, site=self.site, thread=self.thread,
            parent=self.parent, author=self.author, email=self.email, website=self.website,
            avatar=self.avatar, ip_hash=self.ip_hash, text=self.text, html=self.html,
            status=self.status, created=self.created, edit_until=self.edit_until,
            url=self.url, region=self.region,
            feed_site=self.site if self.status == "approved" else None,
            queue_site=queue_key(self.site, self.status), net_hash=self.net_hash,
        )  # fmt: skip


def _is_known_author(site: SiteConfig, email: str | None) -> bool:
    if not email:
        return False
    from chalicelib.store import replicas

    try:
        replicas.read(lambda: KnownAuthor.get(_author_pk(site.id, email), "#AUTHOR"))
    except KnownAuthor.DoesNotExist:
        return False
    except replicas.STORAGE_ERRORS:
        return False  # no replica answers: treat as first-time (held), never as trusted
    return True


def _author_pk(site_id: str, email: str) -> str:
    return f"AUTHOR#{site_id}#{tokens.keyed_hash('author', email)}"


def decide_status(site: SiteConfig, new: NewComment) -> str:
    """approved | pending | spam, by the site's moderation mode and the honeypot."""
    from chalicelib.platform.render import count_links

    if new.honeypot:
        return "spam"
    mode = site.moderation
    if mode == "all":
        return "pending"
    if mode == "links" and count_links(new.text):
        return "pending"
    if mode == "first-time" and not _is_known_author(site, new.email):
        return "pending"
    return "approved"


def check_writable(site: SiteConfig) -> None:
    """Raise ReadOnly when an operator has switched the service or this site to read-only."""
    from chalicelib.resilience import switches

    message = config.settings.read_only_message or switches.service_message() or site.read_only
    if message:
        raise ReadOnly(message, retry_after=300)


def prepare(
    site: SiteConfig,
    key: str,
    new: NewComment,
    *,
    ip: str | None,
    idempotency_key: str | None = None,
    body_hash: str | None = None,
) -> PreparedComment:
    """Check the site's rules for a new comment and decide everything about it."""
    from chalicelib.platform.render import render

    check_writable(site)
    if is_banned(site, email=new.email, ip=ip):
        raise Banned("You can't comment on this site.")
    if ip:
        ratelimit.hit(
            f"{site.id}#{tokens.keyed_hash('ip', ip)}", limit=config.settings.rate_limit_per_minute
        )
    from chalicelib.store.sites import ip_hashes
    from chalicelib.threads import spam

    ip_hash, net_hash = ip_hashes(ip) if ip else (None, None)
    verdict = spam.screen(site, key, new, ip_hash=ip_hash, idempotency_key=idempotency_key)
    guards = spam.guards(site, new, ip_hash=ip_hash, idempotency_key=idempotency_key)
    created = clock.now()
    author = new.author or ""
    return PreparedComment(
        id=str(ULID()), site=site.id, thread=key,
        status=spam.apply(decide_status(site, new), verdict), net_hash=net_hash,
        text=new.text, html=render(new.text), author=author, email=new.email,
        website=new.website, avatar=tokens.keyed_hash("avatar", f"{site.id}/{author.lower()}", 16),
        ip_hash=ip_hash, parent=new.parent,
        title=new.title, url=new.url, created=clock.rfc3339(created),
        edit_until=clock.rfc3339(created + site.edit_window_minutes * 60),
        region=config.settings.region, idempotency_key=idempotency_key, body_hash=body_hash,
        **guards,
    )  # fmt: skip


class _Transaction:
    """A TransactWrite whose operations have names, so a cancellation can say which
    condition failed. PynamoDB sends condition checks, then puts, then updates: the
    cancellation reasons come back in that order."""

    def __init__(self, tx: TransactWrite) -> None:
        self.tx = tx
        self._names: dict[str, list[str]] = {"check": [], "put": [], "update": []}

    def check(
        self, name: str, model_cls: Any, hash_key: str, range_key: str, condition: Any
    ) -> None:
        self._names["check"].append(name)
        self.tx.condition_check(model_cls, hash_key, range_key, condition=condition)

    def put(self, name: str, model: Any, condition: Any = None) -> None:
        self._names["put"].append(name)
        self.tx.save(model, condition=condition)

    def update(self, name: str, model: Any, actions: list[Any], condition: Any = None) -> None:
        self._names["update"].append(name)
        self.tx.update(model, actions=actions, condition=condition)

    def order(self) -> list[str]:
        return [*self._names["check"], *self._names["put"], *self._names["update"]]


def _transact(build: Callable[[_Transaction], None]) -> None:
    """Run the transaction ``build`` describes; retry on transaction conflicts.

    Raises TransactWriteError annotated with ``failed``: the names of the operations whose
    conditions failed.
    """
    connection = ThreadItem._get_connection().connection
    for attempt in range(_TRANSACTION_ATTEMPTS):
        named: _Transaction | None = None
        try:
            with TransactWrite(connection=connection) as tx:
                named = _Transaction(tx)
                build(named)
            return
        except TransactWriteError as exc:
            codes = [r.code if r else None for r in (exc.cancellation_reasons or [])]
            if "TransactionConflict" in codes and attempt + 1 < _TRANSACTION_ATTEMPTS:
                time.sleep(0.02 * 2**attempt)
                continue
            names = named.order() if named else []
            exc.failed = {  # type: ignore[attr-defined]
                n for n, c in zip(names, codes, strict=False) if c == "ConditionalCheckFailed"
            }
            raise


def store(prepared: PreparedComment) -> tuple[int, dict[str, Any]]:
    """Store a prepared comment; return (HTTP status, body). Idempotent by comment id.

    Raises ThreadLocked, ParentNotFound, IdempotencyKeyReused.
    """
    comment = prepared.as_model()
    pk = comment.pk
    body = prepared.response()
    approved = prepared.status == "approved"

    def build(tx: _Transaction) -> None:
        tx.put("comment", comment, condition=Comment.sk.does_not_exist())
        tx.update(
            "meta",
            ThreadMeta(pk, META_SK),
            actions=[
                ThreadMeta.kind.set(ThreadMeta),
                ThreadMeta.site.set(prepared.site),
                ThreadMeta.key.set(prepared.thread),
                ThreadMeta.created.set(ThreadMeta.created | prepared.created),
                *(
                    [ThreadMeta.title.set(ThreadMeta.title | prepared.title)]
                    if prepared.title
                    else []
                ),
                *([ThreadMeta.url.set(ThreadMeta.url | prepared.url)] if prepared.url else []),
            ],
            condition=ThreadMeta.locked.does_not_exist() | (ThreadMeta.locked == False),  # noqa: E712
        )
        if approved:
            tx.update(
                "counter",
                Counter(pk, counter_sk(config.settings.region)),
                actions=[Counter.kind.set(Counter), Counter.n.add(1)],
            )
        if prepared.parent:
            parent_ok = Comment.sk.exists() & (Comment.status == "approved")
            if approved:
                tx.update(
                    "parent",
                    Comment(pk, COMMENT_PREFIX + prepared.parent),
                    actions=[Comment.has_replies.set(True)],
                    condition=parent_ok,
                )
            else:
                tx.check(
                    "parent", Comment, pk, COMMENT_PREFIX + prepared.parent, condition=parent_ok
                )
        if approved and prepared.email:
            tx.put(
                "author",
                KnownAuthor(
                    _author_pk(prepared.site, prepared.email), "#AUTHOR", first=prepared.id
                ),
            )
        if prepared.idempotency_key and prepared.body_hash:
            record = idempotency.new_record(
                prepared.site, prepared.idempotency_key, prepared.body_hash, 201, body
            )
            tx.put("idempotency", record, condition=type(record).pk.does_not_exist())
        from chalicelib.threads import spam

        spam.guard_ops(tx, prepared)

    try:
        _transact(build)
    except TransactWriteError as exc:
        failed = getattr(exc, "failed", set())
        if "idempotency" in failed:
            replayed = idempotency.replay(
                prepared.site, prepared.idempotency_key or "", prepared.body_hash or ""
            )
            if replayed:
                return replayed
        if "comment" in failed:
            return 201, body  # stored before (a retry or a queue replay): nothing to do
        if "meta" in failed:
            raise ThreadLocked("This thread is closed to new comments.") from exc
        if "parent" in failed:
            raise ParentNotFound("The comment you are replying to does not exist.") from exc
        from chalicelib.threads import spam

        again = spam.after_guard_failure(prepared, failed, store)
        if again is not None:
            return again
        raise
    if prepared.status == "pending":
        from chalicelib.moderation import notify

        notify.held(prepared.site, prepared.thread)  # never raises
    return 201, body


def post(
    site: SiteConfig,
    key: str,
    new: NewComment,
    *,
    ip: str | None,
    idempotency_key: str | None,
    body_hash: str | None,
) -> tuple[int, dict[str, Any]]:
    """Prepare and store a new comment; a keyed retry gets the first response again."""
    try:
        prepared = prepare(
            site, key, new, ip=ip, idempotency_key=idempotency_key, body_hash=body_hash
        )
    except RateLimited:
        replayed = replay_if_known(site, idempotency_key, body_hash or "")
        if replayed:
            return replayed
        raise
    return store(prepared)


def replay_if_known(site: SiteConfig, key: str | None, body_hash: str) -> tuple[int, dict] | None:
    """The first response to a keyed request, if there was one."""
    if not key:
        return None
    return idempotency.replay(site.id, key, body_hash)


# --- the author's own edit and delete -----------------------------------------------------


def _authorise_author(site: SiteConfig, comment_id: str, token: str | None) -> Comment:
    comment = find(site, comment_id)
    if comment.status in {"deleted", "spam"}:
        raise CommentNotFound("No comment has this id on this site.")
    if not tokens.check_edit_token(site.id, comment.id, token):
        raise EditNotAllowed("The edit token does not match this comment.")
    if clock.now() > clock.parse_rfc3339(comment.edit_until):
        raise EditNotAllowed("The time to edit or delete this comment has passed.")
    return comment


def edit_own(site: SiteConfig, comment_id: str, token: str | None, text: str) -> dict[str, Any]:
    """Replace the text of the author's comment (re-rendered). Returns the new view."""
    from chalicelib.platform.render import render

    check_writable(site)
    comment = _authorise_author(site, comment_id, token)
    html = render(text)
    edited = clock.rfc3339()
    comment.update(
        actions=[Comment.text.set(text), Comment.html.set(html), Comment.edited.set(edited)],
        condition=Comment.status == comment.status,
    )
    view = public_view(comment)
    view["status"] = comment.status
    return {"comment": view}


def delete_own(site: SiteConfig, comment_id: str, token: str | None) -> None:
    """Delete the author's comment: its content is erased; replies keep their place."""
    check_writable(site)
    comment = _authorise_author(site, comment_id, token)
    was_approved = comment.status == "approved"

    def build(tx: _Transaction) -> None:
        tx.update(
            "comment",
            comment,
            actions=[
                Comment.status.set("deleted"), Comment.text.set(""), Comment.html.set(""),
                Comment.author.set(""), Comment.email.remove(), Comment.website.remove(),
                Comment.feed_site.remove(), Comment.queue_site.remove(),
                Comment.edited.set(clock.rfc3339()),
            ],
            condition=Comment.status == comment.status,
        )  # fmt: skip
        if was_approved:
            tx.update(
                "counter",
                Counter(comment.pk, counter_sk(config.settings.region)),
                actions=[Counter.kind.set(Counter), Counter.n.add(-1)],
            )

    try:
        _transact(build)
    except TransactWriteError as exc:
        if "comment" in getattr(exc, "failed", set()):
            raise CommentNotFound("This comment was changed or deleted meanwhile.") from exc
        raise

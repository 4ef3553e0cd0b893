"""Settings, read from the environment once at import, with safe defaults.

Importing this module needs no AWS access and no environment variable
(``chalice package``/``deploy`` import ``app.py``). Nothing else reads ``os.environ``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

#: The built-in secret: public (it is in the source), for local runs and tests only. Inside
#: Lambda it is never accepted (:mod:`chalicelib.platform.tokens` fails closed instead).
LOCAL_SECRET = "local-development-secret"


def _list(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """Deployment-wide settings. One instance, :data:`settings`, is built at import."""

    stage: str = "dev"
    region: str = "us-east-1"
    #: Every region holding a replica, this one included. Counters are one item per region.
    regions: tuple[str, ...] = ("us-east-1",)
    table_prefix: str = "sidenote-dev-"
    #: Where DynamoDB is; empty means the AWS endpoint of ``region``.
    dynamodb_endpoint: str = ""
    #: Secret for edit tokens and keyed IP hashes, outside Lambda only (local runs, tests).
    secret: str = field(default=LOCAL_SECRET, repr=False)
    #: Secrets Manager secret (name or ARN) holding the secret, read on first use instead of
    #: ``secret``. Required inside Lambda; replicated to every region, so each reads its own.
    secret_id: str = ""
    #: Running inside AWS Lambda (``AWS_LAMBDA_FUNCTION_NAME`` is set): secrets fail closed.
    in_lambda: bool = False
    #: Bounded DynamoDB calls: a reader never waits the SDK defaults (15 s + 30 s).
    #: botocore "standard" retries, 1 + max_retries attempts: worst case per call
    #: 2 x (1 s + 2 s) + <= 1 s backoff = 7 s; then the breaker skips this replica.
    connect_timeout: float = 1.0
    read_timeout: float = 2.0
    max_retries: int = 1
    #: How long a Lambda container trusts its cached copy of a site (settings, bans, read-only).
    site_cache_seconds: float = 30.0
    #: Posts per IP per minute, per site.
    rate_limit_per_minute: int = 5
    #: Operator switch: every site read-only, with this message (empty = writable).
    read_only_message: str = ""
    #: Moderation: comments per site per minute (all IPs together; a spam-wave ceiling).
    site_rate_limit_per_minute: int = 60
    #: Moderation: failed moderator-key attempts per source IP per 15 minutes.
    auth_failures_per_window: int = 10
    #: Moderation: more links than this in one comment holds it for a moderator.
    max_links: int = 3
    #: Moderation: SNS topic for "comments held" notifications (empty = off).
    notify_topic_arn: str = ""
    #: Moderation: at most one notification per site per this many minutes.
    notify_window_minutes: int = 15
    #: Resilience: fallback-region reads are shorter still (one attempt each).
    fallback_connect_timeout: float = 0.5
    fallback_read_timeout: float = 1.5
    #: Resilience: after a failure, skip this region's replica for this long (per container).
    breaker_seconds: float = 10.0
    #: Resilience: ``region=endpoint`` overrides for other regions' replicas (local stacks).
    region_endpoints: tuple[tuple[str, str], ...] = ()
    #: Resilience: the durable write queue (SQS) and its dead-letter queue, by name or URL.
    write_queue: str = "sidenote-writes"
    write_queue_url: str = ""
    dead_letter_queue: str = "sidenote-writes-dlq"
    sqs_endpoint: str = ""
    #: Linkbacks: the webmention verification queue (SQS) and its dead-letter queue.
    webmention_queue: str = "sidenote-webmentions"
    webmention_dead_letter_queue: str = "sidenote-webmentions-dlq"
    #: Resilience: how long a container trusts the deployment-wide read-only switch.
    switch_cache_seconds: float = 15.0
    #: Public base URL of the API (used in feeds and the Haloscan shim); empty = from the request.
    public_url: str = ""
    log_level: str = "INFO"
    tracing: bool = False
    # --- health reports (chalicelib/health: probes, reports, digest) ---
    #: Seconds between probes (the schedule runs every minute; the local probe loop may differ).
    probe_interval: float = 60.0
    #: Consecutive probes that must agree before a region's state changes (hysteresis).
    probe_confirm: int = 3
    #: SNS topic for state-change alerts (empty: alerts are only logged).
    alert_topic_arn: str = ""
    #: SNS topic for daily digests, published with the site and its notify address as message
    #: attributes (e-mail subscriptions filter on them). Empty: digests are only stored.
    digest_topic_arn: str = ""

    @property
    def fallback_regions(self) -> tuple[str, ...]:
        """Other regions' replicas, in the order reads fall back to them."""
        return tuple(r for r in self.regions if r != self.region)

    def endpoint_for(self, region: str) -> str | None:
        """DynamoDB endpoint of ``region``'s replica (None: the AWS endpoint)."""
        if region == self.region:
            return self.dynamodb_endpoint or None
        return dict(self.region_endpoints).get(region) or None

    @property
    def comments_table(self) -> str:
        return f"{self.table_prefix}comments"

    @property
    def sites_table(self) -> str:
        return f"{self.table_prefix}sites"

    @property
    def ephemeral_table(self) -> str:
        return f"{self.table_prefix}ephemeral"


def load(env: dict[str, str] | os._Environ = os.environ) -> Settings:
    """Build :class:`Settings` from an environment mapping."""
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"
    regions = _list(env.get("SIDENOTE_REGIONS", "")) or (region,)
    if region not in regions:
        regions = (region, *regions)
    return Settings(
        stage=env.get("SIDENOTE_STAGE", "dev"),
        region=region,
        regions=regions,
        table_prefix=env.get("SIDENOTE_TABLE_PREFIX", "sidenote-dev-"),
        dynamodb_endpoint=env.get("DYNAMODB_ENDPOINT", ""),
        secret=env.get("SIDENOTE_SECRET", LOCAL_SECRET),
        secret_id=env.get("SIDENOTE_SECRET_ID", ""),
        in_lambda=bool(env.get("AWS_LAMBDA_FUNCTION_NAME")),
        connect_timeout=float(env.get("SIDENOTE_DDB_CONNECT_TIMEOUT", "1.0")),
        read_timeout=float(env.get("SIDENOTE_DDB_READ_TIMEOUT", "2.0")),
        max_retries=int(env.get("SIDENOTE_DDB_MAX_RETRIES", "1")),
        site_cache_seconds=float(env.get("SIDENOTE_SITE_CACHE_SECONDS", "30")),
        rate_limit_per_minute=int(env.get("SIDENOTE_RATE_LIMIT_PER_MINUTE", "5")),
        read_only_message=env.get("SIDENOTE_READ_ONLY", ""),
        site_rate_limit_per_minute=int(env.get("SIDENOTE_SITE_RATE_LIMIT_PER_MINUTE", "60")),
        auth_failures_per_window=int(env.get("SIDENOTE_AUTH_FAILURES_PER_WINDOW", "10")),
        max_links=int(env.get("SIDENOTE_MAX_LINKS", "3")),
        notify_topic_arn=env.get("SIDENOTE_NOTIFY_TOPIC_ARN", ""),
        notify_window_minutes=int(env.get("SIDENOTE_NOTIFY_WINDOW_MINUTES", "15")),
        fallback_connect_timeout=float(env.get("SIDENOTE_FALLBACK_CONNECT_TIMEOUT", "0.5")),
        fallback_read_timeout=float(env.get("SIDENOTE_FALLBACK_READ_TIMEOUT", "1.5")),
        breaker_seconds=float(env.get("SIDENOTE_BREAKER_SECONDS", "10")),
        region_endpoints=tuple(
            tuple(part.split("=", 1))  # type: ignore[misc]
            for part in _list(env.get("SIDENOTE_REGION_ENDPOINTS", ""))
            if "=" in part
        ),
        write_queue=env.get("SIDENOTE_WRITE_QUEUE", "sidenote-writes"),
        write_queue_url=env.get("SIDENOTE_WRITE_QUEUE_URL", ""),
        dead_letter_queue=env.get("SIDENOTE_DEAD_LETTER_QUEUE", "sidenote-writes-dlq"),
        sqs_endpoint=env.get("SQS_ENDPOINT", ""),
        webmention_queue=env.get("SIDENOTE_WEBMENTION_QUEUE", "sidenote-webmentions"),
        webmention_dead_letter_queue=env.get(
            "SIDENOTE_WEBMENTION_DEAD_LETTER_QUEUE", "sidenote-webmentions-dlq"
        ),
        switch_cache_seconds=float(env.get("SIDENOTE_SWITCH_CACHE_SECONDS", "15")),
        public_url=env.get("SIDENOTE_PUBLIC_URL", "").rstrip("/"),
        log_level=env.get("SIDENOTE_LOG_LEVEL", "INFO"),
        tracing=_bool(env.get("AWS_XRAY_SDK_ENABLED", "false"))
        and bool(env.get("AWS_LAMBDA_FUNCTION_NAME")),
        probe_interval=float(env.get("SIDENOTE_PROBE_INTERVAL", "60")),
        probe_confirm=max(1, int(env.get("SIDENOTE_PROBE_CONFIRM", "3"))),
        alert_topic_arn=env.get("SIDENOTE_ALERT_TOPIC_ARN", ""),
        digest_topic_arn=env.get("SIDENOTE_DIGEST_TOPIC_ARN", ""),
    )


settings: Settings = load()

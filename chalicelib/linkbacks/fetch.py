"""Outbound fetching: the security boundary of Webmention verification.

A Webmention makes sidenote fetch a URL a stranger chose, so this module is the one place
that fetches, and it only reaches the public internet:

- schemes ``http`` and ``https`` only, default ports or any port, no user info;
- the host is resolved by :func:`resolve` (the one resolver; tests stub it), and **every**
  address it gives must be public (:func:`refusal`): loopback, private, link-local,
  CGNAT 100.64.0.0/10, cloud metadata (169.254.169.254, fd00:ec2::254), unique-local,
  multicast, reserved, unspecified, documentation and benchmarking ranges, and the IPv6
  forms that embed an IPv4 address (IPv4-mapped, IPv4-translated, NAT64, 6to4, Teredo)
  are refused, IPv4 and IPv6 alike;
- the connection goes to the address that was checked (a second DNS answer — rebinding —
  is never used): :class:`_PinnedHTTPConnection` / :class:`_PinnedHTTPSConnection` connect
  to the checked IP and send the name in ``Host`` and in TLS SNI (certificates are
  verified against the name);
- redirects are followed by hand, at most :data:`MAX_REDIRECTS`, each one checked again;
- limits: 3 s to connect, 10 s in all, 1 MB of body; no cookies are sent or kept; the
  User-Agent says who fetches.

``allow_loopback`` exists for tests only (a source server on 127.0.0.1): production code
never passes it, and no setting or environment variable turns it on.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

USER_AGENT = (
    "sidenote-webmention/1 (+https://github.com/sidenote/sidenote/blob/main/docs/linkbacks.md)"
)
MAX_REDIRECTS = 3
MAX_BYTES = 1024 * 1024
CONNECT_TIMEOUT = 3.0
TOTAL_TIMEOUT = 10.0

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: Ranges refused beyond the ``ipaddress`` properties (some are not covered by them on
#: every Python version; listing them makes the boundary readable).
REFUSED_NETWORKS = tuple(
    ipaddress.ip_network(net)
    for net in (
        "0.0.0.0/8",  # "this network"
        "10.0.0.0/8",
        "100.64.0.0/10",  # CGNAT (shared address space)
        "127.0.0.0/8",
        "169.254.0.0/16",  # link-local, incl. the metadata service 169.254.169.254
        "172.16.0.0/12",
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation
        "192.88.99.0/24",  # 6to4 relay anycast
        "192.168.0.0/16",
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, broadcast
        "::/128",
        "::1/128",
        "::ffff:0:0/96",  # IPv4-mapped
        "::ffff:0:0:0/96",  # IPv4-translated
        "64:ff9b::/96",  # NAT64
        "64:ff9b:1::/48",
        "100::/64",  # discard-only
        "2001::/32",  # Teredo
        "2001:db8::/32",  # documentation
        "2002::/16",  # 6to4
        "fc00::/7",  # unique-local, incl. the EC2 metadata address fd00:ec2::254
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local (deprecated)
        "ff00::/8",  # multicast
    )
)
LOOPBACK_NETWORKS = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))


class FetchRefused(Exception):
    """The URL may not be fetched (scheme, address, too many redirects): permanent."""


class FetchFailed(Exception):
    """The fetch did not complete (connection, timeout, size, TLS): may work later."""


@dataclass(frozen=True)
class Fetched:
    """A fetched document: its final URL (after redirects), status, type and body."""

    url: str
    status: int
    content_type: str
    body: bytes


Resolver = Callable[[str, int], list[str]]


def resolve(host: str, port: int) -> list[str]:
    """The addresses of ``host`` (A and AAAA), as strings. Raises FetchFailed."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchFailed(f"cannot resolve {host}: {exc}") from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def refusal(address: str, *, allow_loopback: bool = False) -> str | None:
    """Why ``address`` may not be connected to, or None when it is a public address."""
    try:
        ip: IPAddress = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return f"{address!r} is not an IP address"
    if allow_loopback and any(ip in net for net in LOOPBACK_NETWORKS if net.version == ip.version):
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        inner = refusal(str(ip.ipv4_mapped))
        return f"IPv4-mapped address ({inner or 'not allowed'})"
    if any(ip in net for net in REFUSED_NETWORKS if net.version == ip.version):
        return f"{ip} is in a non-public range"
    if (
        ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_multicast
        or ip.is_reserved or ip.is_unspecified or not ip.is_global
    ):  # fmt: skip
        return f"{ip} is not a public address"
    return None


def check_url(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an acceptable URL. Raises FetchRefused."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise FetchRefused(f"not a valid URL: {url[:200]}") from exc
    scheme = parts.scheme.lower()
    if scheme not in {"http", "https"}:
        raise FetchRefused("only http and https URLs are fetched")
    if not parts.hostname or parts.username is not None or parts.password is not None:
        raise FetchRefused("the URL needs a host and no user info")
    return scheme, parts.hostname, port or (443 if scheme == "https" else 80)


def pick_address(
    host: str, port: int, *, resolver: Resolver | None = None, allow_loopback: bool = False
) -> str:
    """The checked address to connect to: every resolved address must be public (one
    private answer among public ones refuses the host). Raises FetchRefused/FetchFailed."""
    addresses = (resolver or resolve)(host, port)
    if not addresses:
        raise FetchFailed(f"{host} has no address")
    for address in addresses:
        why = refusal(address, allow_loopback=allow_loopback)
        if why:
            raise FetchRefused(f"{host}: {why}")
    return addresses[0]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """An HTTP connection to a checked IP; ``Host`` stays the URL's name."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), CONNECT_TIMEOUT)
        self.sock.settimeout(self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """An HTTPS connection to a checked IP; SNI and certificate checked against the name."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), CONNECT_TIMEOUT)
        raw.settimeout(self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)  # type: ignore[attr-defined]


def fetch(
    url: str,
    *,
    resolver: Resolver | None = None,
    allow_loopback: bool = False,
    max_bytes: int = MAX_BYTES,
    accept: str = "text/html, application/xhtml+xml;q=0.9, text/plain;q=0.5",
) -> Fetched:
    """GET ``url`` within the boundary described above; the final response (any status).

    Raises FetchRefused (permanent: the URL or an address it leads to is not allowed, too
    many redirects) or FetchFailed (transient: connection, timeout, TLS, oversized body).
    """
    deadline = time.monotonic() + TOTAL_TIMEOUT
    for _ in range(MAX_REDIRECTS + 1):
        scheme, host, port = check_url(url)
        address = pick_address(host, port, resolver=resolver, allow_loopback=allow_loopback)
        status, headers, body = _get_once(
            scheme, host, port, address, url, deadline, max_bytes, accept
        )
        location = headers.get("location")
        if status in {301, 302, 303, 307, 308} and location:
            url = urljoin(url, location.strip())
            continue
        return Fetched(url, status, headers.get("content-type", ""), body)
    raise FetchRefused(f"more than {MAX_REDIRECTS} redirects")


def _get_once(
    scheme: str, host: str, port: int, address: str, url: str, deadline: float,
    max_bytes: int, accept: str,
) -> tuple[int, dict[str, str], bytes]:  # fmt: skip
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise FetchFailed("time limit reached")
    kind = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    connection = kind(host, port, address, timeout=min(remaining, TOTAL_TIMEOUT))
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request(
            "GET", target,
            headers={"User-Agent": USER_AGENT, "Accept": accept, "Accept-Encoding": "identity",
                     "Connection": "close"},
        )  # fmt: skip
        response = connection.getresponse()
        headers = {name.lower(): value for name, value in response.getheaders()}
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise FetchFailed(f"the document is larger than {max_bytes} bytes")
        chunks: list[bytes] = []
        size = 0
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise FetchFailed("time limit reached")
            if connection.sock is not None:
                connection.sock.settimeout(left)
            chunk = response.read(min(65536, max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if size > max_bytes:
                raise FetchFailed(f"the document is larger than {max_bytes} bytes")
        return response.status, headers, b"".join(chunks)
    except (OSError, http.client.HTTPException, ssl.SSLError) as exc:
        raise FetchFailed(f"fetching {host} failed: {exc!r}"[:300]) from exc
    finally:
        connection.close()

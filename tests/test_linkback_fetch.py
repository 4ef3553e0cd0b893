"""Outbound fetching (chalicelib/linkbacks/fetch.py): the SSRF matrix, redirects, rebinding,
limits. A real source server on 127.0.0.1 is reached only through the test-only allowance."""

from __future__ import annotations

import pytest

from chalicelib.linkbacks import fetch
from tests.linkback_support import serve

REFUSED = [
    ("loopback v4", "127.0.0.1"),
    ("loopback v4 elsewhere in 127/8", "127.5.6.7"),
    ("this network", "0.0.0.0"),
    ("private 10/8", "10.1.2.3"),
    ("private 172.16/12", "172.20.0.1"),
    ("private 192.168/16", "192.168.1.1"),
    ("link-local v4", "169.254.10.10"),
    ("metadata v4", "169.254.169.254"),
    ("CGNAT 100.64/10", "100.64.0.1"),
    ("CGNAT upper end", "100.127.255.254"),
    ("IETF protocol assignments", "192.0.0.8"),
    ("documentation v4", "192.0.2.1"),
    ("benchmarking", "198.18.0.1"),
    ("multicast v4", "224.0.0.1"),
    ("reserved v4", "240.0.0.1"),
    ("broadcast", "255.255.255.255"),
    ("loopback v6", "::1"),
    ("unspecified v6", "::"),
    ("IPv4-mapped loopback", "::ffff:127.0.0.1"),
    ("IPv4-mapped private", "::ffff:10.0.0.1"),
    ("IPv4-mapped metadata", "::ffff:169.254.169.254"),
    ("IPv4-mapped public (still refused)", "::ffff:93.184.216.34"),
    ("NAT64 of a private address", "64:ff9b::a00:1"),
    ("6to4", "2002:a00:1::1"),
    ("Teredo", "2001:0:4136:e378:8000:63bf:3fff:fdd2"),
    ("unique-local", "fc00::1"),
    ("unique-local fd", "fd12:3456::1"),
    ("metadata v6 (EC2)", "fd00:ec2::254"),
    ("link-local v6", "fe80::1"),
    ("link-local v6 with zone", "fe80::1%eth0"),
    ("site-local v6", "fec0::1"),
    ("multicast v6", "ff02::1"),
    ("documentation v6", "2001:db8::1"),
    ("discard-only v6", "100::1"),
]


@pytest.mark.parametrize(("name", "address"), REFUSED, ids=[n for n, _ in REFUSED])
def test_every_non_public_address_is_refused(name, address):
    assert fetch.refusal(address) is not None


@pytest.mark.parametrize("address", ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_are_allowed(address):
    assert fetch.refusal(address) is None


@pytest.mark.parametrize(("name", "address"), REFUSED, ids=[n for n, _ in REFUSED])
def test_a_host_resolving_to_a_refused_address_is_never_connected_to(name, address):
    with pytest.raises(fetch.FetchRefused):
        fetch.fetch("http://blog.example/post", resolver=lambda host, port: [address])


def test_one_private_answer_among_public_ones_refuses_the_host():
    with pytest.raises(fetch.FetchRefused):
        fetch.fetch("http://blog.example/", resolver=lambda h, p: ["93.184.216.34", "10.0.0.1"])


@pytest.mark.parametrize(
    "url",
    ["ftp://blog.example/x", "file:///etc/passwd", "gopher://blog.example/", "http://u:p@blog.example/",
     "http:///nohost", "javascript:alert(1)", "http://[::1"],
)  # fmt: skip
def test_only_http_and_https_urls_with_a_host_and_no_user_info_are_fetched(url):
    with pytest.raises(fetch.FetchRefused):
        fetch.fetch(url, resolver=lambda h, p: ["93.184.216.34"])


# --- a real source server on 127.0.0.1 ----------------------------------------------------------


@pytest.fixture
def source():
    """A source server on 127.0.0.1 (stopped by the test's teardown): (base URL, handler)."""
    with serve() as served:
        yield served


def test_the_loopback_source_is_fetched_only_with_the_test_allowance(source):
    base, handler = source
    handler.routes["/post"] = (200, {"Content-Type": "text/html"}, b"<p>hello</p>")
    with pytest.raises(fetch.FetchRefused):
        fetch.fetch(f"{base}/post")
    got = fetch.fetch(f"{base}/post", allow_loopback=True)
    assert (got.status, got.body) == (200, b"<p>hello</p>")


def test_requests_carry_a_clear_user_agent_and_no_cookie_even_after_a_set_cookie(source):
    base, handler = source
    handler.routes["/a"] = (302, {"Location": "/b"}, b"")
    handler.routes["/b"] = (200, {"Content-Type": "text/plain"}, b"ok")
    got = fetch.fetch(f"{base}/a", allow_loopback=True)
    assert got.url == f"{base}/b"
    assert [s["user-agent"] for s in handler.seen] == [fetch.USER_AGENT] * 2
    assert fetch.USER_AGENT.startswith("sidenote-webmention/1 (+https://")
    assert all("cookie" not in s for s in handler.seen)


def test_a_redirect_to_a_private_address_is_refused(source):
    base, handler = source
    handler.routes["/post"] = (302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b"")
    with pytest.raises(fetch.FetchRefused):
        fetch.fetch(f"{base}/post", allow_loopback=True)
    assert [s["path"] for s in handler.seen] == ["/post"]


def test_a_redirect_to_a_name_that_resolves_privately_is_refused(source):
    base, handler = source
    port = int(base.rsplit(":", 1)[1])
    handler.routes["/post"] = (301, {"Location": f"http://internal.example:{port}/x"}, b"")

    def resolver(host: str, port: int) -> list[str]:
        return ["127.0.0.1"] if host == "127.0.0.1" else ["10.0.0.5"]

    with pytest.raises(fetch.FetchRefused):
        fetch.fetch(f"{base}/post", resolver=resolver, allow_loopback=True)


def test_more_than_three_redirects_are_refused(source):
    base, handler = source
    for n in range(5):
        handler.routes[f"/r{n}"] = (302, {"Location": f"/r{n + 1}"}, b"")
    with pytest.raises(fetch.FetchRefused, match="redirects"):
        fetch.fetch(f"{base}/r0", allow_loopback=True)
    assert len(handler.seen) == fetch.MAX_REDIRECTS + 1


def test_rebinding_connects_to_the_checked_address_only(source):
    """A resolver answering a public address first and a private one afterwards: the only
    answer used is the one checked; a second lookup (which would give the private address)
    never happens within a fetch of one URL."""
    base, handler = source
    handler.routes["/post"] = (200, {"Content-Type": "text/plain"}, b"checked")
    port = int(base.rsplit(":", 1)[1])
    answers = iter([["127.0.0.1"], ["10.0.0.1"]])
    calls: list[str] = []

    def rebinding(host: str, port: int) -> list[str]:
        calls.append(host)
        return next(answers)

    got = fetch.fetch(f"http://rebind.example:{port}/post", resolver=rebinding, allow_loopback=True)
    assert got.body == b"checked" and calls == ["rebind.example"]
    assert handler.seen[0]["host"] == f"rebind.example:{port}"
    # the next fetch's lookup gets the private answer: refused before any connection
    with pytest.raises(fetch.FetchRefused):
        fetch.fetch(f"http://rebind.example:{port}/post", resolver=rebinding, allow_loopback=True)
    assert len(handler.seen) == 1


def test_rebinding_to_a_private_address_between_redirects_is_refused(source):
    base, handler = source
    port = int(base.rsplit(":", 1)[1])
    handler.routes["/a"] = (302, {"Location": f"http://rebind.example:{port}/b"}, b"")
    answers = iter([["127.0.0.1"], ["192.168.0.10"]])
    with pytest.raises(fetch.FetchRefused):
        fetch.fetch(f"http://rebind.example:{port}/a", resolver=lambda h, p: next(answers),
                    allow_loopback=True)  # fmt: skip
    assert [s["path"] for s in handler.seen] == ["/a"]


def test_a_body_over_the_size_limit_is_not_read_whole(source):
    base, handler = source
    handler.routes["/big"] = (200, {"Content-Type": "text/html"}, b"x" * (fetch.MAX_BYTES + 10))
    with pytest.raises(fetch.FetchFailed, match="larger"):
        fetch.fetch(f"{base}/big", allow_loopback=True)


def test_a_closed_port_is_a_transient_failure():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(fetch.FetchFailed):
        fetch.fetch(f"http://127.0.0.1:{port}/", allow_loopback=True)

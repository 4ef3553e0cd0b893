"""Nothing from a request header reaches JavaScript or a cached body. Deployed stages take the
API's public URL from configuration only; locally a Host header is used once it is a plain
``host[:port]``; values written into scripts are JSON string literals
(chalice.test.Client on moto; the shim is checked as JavaScript by node)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from chalicelib.platform.static import LOCAL_STAGES
from tests.support import patch_settings

ROOT = Path(__file__).resolve().parent.parent
XSS = "x';alert(document.domain);//"
HOSTILE_HEADERS = [
    {"Host": XSS},
    {"Host": "blog.example", "X-Forwarded-Proto": XSS},
    {"Host": 'a.example"</script><script>alert(1)</script>'},
    {"Host": "evil.example/#"},
    {"Host": "evil.example:80@other"},
]
#: Every response that embeds the base URL (and is cached: a day for the shim).
CACHED_BODIES = [
    "/haloscan/myblog.js",
    "/sites/myblog/feed.atom",
    "/sites/myblog/feed.atom?thread=/a",
    "/status.atom",
    "/status.html",
    "/openapi.json",
    "/sites/myblog/status",
]
PUBLIC = "https://api.example.org"


def _get(client, path: str, headers: dict[str, str]) -> str:
    response = client.http.get(path, headers=headers)
    assert response.status_code == 200, (path, response.body)
    return response.body.decode()


def _api_of(shim: str) -> object:
    """The value the shim assigns to ``API`` (a JSON string literal)."""
    literal = shim.split("API = ", 1)[1].split(";", 1)[0]
    return json.loads(literal)


def _check_javascript(source: str, tmp_path: Path) -> None:
    node = shutil.which("node")
    assert node, "node is needed to check the shim as JavaScript"
    script = tmp_path / "shim.js"
    script.write_text(source)
    result = subprocess.run([node, "--check", str(script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("headers", HOSTILE_HEADERS)
def test_a_hostile_host_header_never_reaches_a_body_locally(client, headers):
    for path in CACHED_BODIES:
        body = _get(client, path, headers)
        for value in headers.values():
            if value != "blog.example":
                assert value not in body, path
        assert "alert(" not in body, path


def test_locally_the_shim_falls_back_to_localhost_for_a_hostile_host(client, tmp_path):
    shim = _get(client, "/haloscan/myblog.js", {"Host": XSS})
    assert _api_of(shim) == "http://localhost"
    _check_javascript(shim, tmp_path)


@pytest.mark.parametrize(
    ("headers", "api"),
    [
        ({"Host": "127.0.0.1:8000"}, "http://127.0.0.1:8000"),
        ({"Host": "blog.example", "X-Forwarded-Proto": "https"}, "https://blog.example"),
        ({"Host": "blog.example", "X-Forwarded-Proto": "https, http"}, "https://blog.example"),
        ({"Host": "[::1]:8000"}, "http://[::1]:8000"),
        ({"Host": "blog.example", "X-Forwarded-Proto": "gopher"}, "http://blog.example"),
    ],
)
def test_locally_a_plain_host_and_port_is_the_base_url(client, headers, api, tmp_path):
    shim = _get(client, "/haloscan/myblog.js", headers)
    assert _api_of(shim) == api
    assert 'SITE = "myblog"' in shim
    _check_javascript(shim, tmp_path)


@pytest.mark.parametrize("headers", [*HOSTILE_HEADERS, {"Host": "evil.example"}])
def test_a_deployed_stage_takes_the_public_url_from_configuration_only(
    client, monkeypatch, headers
):
    patch_settings(monkeypatch, stage="prod", public_url=PUBLIC)
    for path in CACHED_BODIES:
        body = _get(client, path, headers)
        assert "evil.example" not in body and "alert(" not in body, path
        if path != "/sites/myblog/status" or "url" in body:
            assert PUBLIC in body or PUBLIC.replace("/", "\\/") in body, path
    assert _api_of(_get(client, "/haloscan/myblog.js", headers)) == PUBLIC


def test_a_deployed_stage_without_a_public_url_uses_relative_links_not_the_host(
    client, monkeypatch, tmp_path
):
    patch_settings(monkeypatch, stage="prod", public_url="")
    shim = _get(client, "/haloscan/myblog.js", {"Host": "evil.example"})
    assert _api_of(shim) == ""  # the script then uses the origin it was loaded from
    _check_javascript(shim, tmp_path)
    for path in CACHED_BODIES:
        assert "evil.example" not in _get(client, path, {"Host": "evil.example"}), path


def test_values_written_into_the_shim_are_json_string_literals(client, monkeypatch, tmp_path):
    odd = "https://api.example.org/a'b\"c</script><!--\u2028d"
    patch_settings(monkeypatch, stage="prod", public_url=odd)
    shim = _get(client, "/haloscan/myblog.js", {})
    assert _api_of(shim) == odd
    line = next(line for line in shim.splitlines() if "API = " in line)
    assert "</script>" not in line and "<!--" not in line
    assert "\u2028" not in shim
    _check_javascript(shim, tmp_path)


def test_every_deployed_stage_configures_its_public_url():
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    deployed = {name: stage for name, stage in config["stages"].items() if name not in LOCAL_STAGES}
    assert deployed
    urls = {
        name: stage.get("environment_variables", {}).get("SIDENOTE_PUBLIC_URL", "")
        for name, stage in deployed.items()
    }
    for name, url in urls.items():
        assert url.startswith("https://") and not url.endswith("/"), name
    # One public name for every region: links (and cached bodies) do not depend on which
    # region answered.
    assert len(set(urls.values())) == 1

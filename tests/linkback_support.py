"""A source server for the linkback tests: http.server on 127.0.0.1 in a thread."""

from __future__ import annotations

import contextlib
import http.server
import threading
from collections.abc import Iterator


class _Handler(http.server.BaseHTTPRequestHandler):
    routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
    seen: list[dict[str, str]] = []

    def do_GET(self) -> None:
        type(self).seen.append(
            {k.lower(): v for k, v in self.headers.items()} | {"path": self.path}
        )
        status, headers, body = self.routes.get(self.path, (404, {}, b"gone"))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Set-Cookie", "tracker=1")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@contextlib.contextmanager
def serve() -> Iterator[tuple[str, type[_Handler]]]:
    """An HTTP server on 127.0.0.1 in a thread; stopped by the test's teardown."""
    handler = type("Handler", (_Handler,), {"routes": {}, "seen": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.handle_error = lambda request, address: None  # the client hung up (size limit)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()
        thread.join()

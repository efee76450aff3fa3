"""Who may talk to the server at all: a Host and Origin allow-list, and no metrics endpoint.

A browser page on any site can point a name it controls at 127.0.0.1 (DNS rebinding) and then drive a local
dashboard, which in demo mode makes everyone admin. Streamlit's `server.allowedHosts` (set to the loopback
names in .streamlit/config.toml) refuses a WebSocket handshake whose Host is not listed; Streamlit has no
strict Origin allow-list (it also accepts the machine's own addresses) and always serves
`/_stcore/metrics` (cache function names, memory use). LocalGuard, an ASGI middleware that serve.py puts in
front of Streamlit (st.App), adds what config cannot: every HTTP request and WebSocket handshake must name an
allowed Host, a WebSocket's Origin (when sent) must be an allowed host too, and `/_stcore/metrics` answers
404. Exposing the dashboard: configure [auth] first, then list the public name, e.g.
`--server.address 0.0.0.0 --server.allowedHosts dashboard.example.com`.
"""

from urllib.parse import urlsplit

LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
METRICS_PATH = "/_stcore/metrics"


def allowed_hosts() -> tuple[str, ...]:
    """Streamlit's server.allowedHosts, or the loopback names when it is empty."""
    from streamlit import config

    configured = [h.strip().lower().rstrip(".") for h in config.get_option("server.allowedHosts") or () if h.strip()]
    return tuple(configured) or LOOPBACK_HOSTS


def _hostname(netloc: str) -> str | None:
    """The host name of a Host header value (`name`, `name:port`, `[::1]:port`), or None when malformed."""
    try:
        parts = urlsplit(f"//{netloc}")
        _ = parts.port  # a port that is not a number in range is malformed
    except ValueError:
        return None
    if not parts.hostname or parts.username is not None or parts.password is not None or parts.path:
        return None
    return parts.hostname.lower().rstrip(".")


def host_matches(hostname: str | None, allowed: tuple[str, ...]) -> bool:
    """Whether `hostname` is one of `allowed`: exact names, `*.example.com` for subdomains, `*` for any."""
    if not hostname:
        return False
    for pattern in allowed:
        if pattern == "*" or hostname == pattern or (pattern.startswith("*.") and hostname.endswith(pattern[1:])):
            return True
    return False


def request_allowed(kind: str, host: str | None, origin: str | None, allowed: tuple[str, ...]) -> bool:
    """Whether a request (`kind` http or websocket) with these Host and Origin headers may go on."""
    if host is None or not host_matches(_hostname(host), allowed):
        return False
    if kind == "websocket" and origin is not None:
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not host_matches(_hostname(parts.netloc), allowed):
            return False  # includes the opaque origin "null"
    return True


class LocalGuard:
    """ASGI middleware: refuse a foreign Host or WebSocket Origin (403) and the metrics endpoint (404)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        kind = scope.get("type")
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {}
        for name, value in scope.get("headers", ()):
            headers.setdefault(name.decode("latin-1").lower(), value.decode("latin-1"))
        if not request_allowed(kind, headers.get("host"), headers.get("origin"), allowed_hosts()):
            await _refuse(kind, receive, send, 403, b"This host name is not allowed: see server.allowedHosts.\n")
            return
        if scope.get("path", "").rstrip("/").endswith(METRICS_PATH):
            await _refuse(kind, receive, send, 404, b"Not found.\n")
            return
        await self.app(scope, receive, send)


async def _refuse(kind: str, receive, send, status: int, body: bytes) -> None:
    if kind == "websocket":
        await receive()  # the websocket.connect message; closing before accepting answers HTTP 403
        await send({"type": "websocket.close", "code": 1008})
        return
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})

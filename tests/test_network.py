"""The dashboard's network edge on a real server (loopback only): scripts/run.sh's `streamlit run serve.py`
refuses a foreign Host (DNS rebinding) or WebSocket Origin and serves no metrics; the plain `streamlit run
app.py` still refuses a foreign Host on the WebSocket through .streamlit/config.toml's server.allowedHosts."""

import os
import socket
import subprocess
import sys
from datetime import datetime

import pytest

from auth.network import LOOPBACK_HOSTS, host_matches, request_allowed
from devtools.browser import REPO, free_port, stop_app, wait_for_server
from tests.apptest import build_warehouse

KEY = "dGhlIHNhbXBsZSBub25jZQ=="  # RFC 6455's sample Sec-WebSocket-Key


def _start(script: str, tmp_path) -> tuple[subprocess.Popen, int]:
    url = build_warehouse(
        tmp_path / "w.duckdb", {"suppliers": [{"supplier_id": 1, "registered_at": datetime(2024, 1, 1)}]}
    )
    port = free_port()
    env = {**os.environ, "TRUST_WAREHOUSE_URL": url, "TRUST_APP_DB_URL": f"sqlite:///{tmp_path / 'app.sqlite'}"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", script, "--server.address", "127.0.0.1", "--server.port", str(port),
         "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        wait_for_server(f"http://127.0.0.1:{port}", proc)
    except Exception:
        stop_app(proc)
        raise
    return proc, port


@pytest.fixture(scope="module")
def guarded(tmp_path_factory):
    proc, port = _start("serve.py", tmp_path_factory.mktemp("guarded"))
    yield port
    stop_app(proc)


def _status(port: int, path: str, host: str, origin: str | None = None, websocket: bool = False) -> int:
    """The HTTP status a raw request gets (101 = WebSocket upgraded)."""
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}"]
    if websocket:
        lines += ["Upgrade: websocket", "Connection: Upgrade", f"Sec-WebSocket-Key: {KEY}", "Sec-WebSocket-Version: 13"]
        lines += ["Sec-WebSocket-Protocol: streamlit"]
    else:
        lines += ["Connection: close"]
    if origin is not None:
        lines.append(f"Origin: {origin}")
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = b""
        while b"\r\n" not in head:
            chunk = sock.recv(1024)
            if not chunk:
                break
            head += chunk
    return int(head.split(b" ", 2)[1])


def test_a_websocket_from_the_loopback_name_is_accepted(guarded):
    here = f"127.0.0.1:{guarded}"
    assert _status(guarded, "/_stcore/stream", here, f"http://{here}", websocket=True) == 101
    assert _status(guarded, "/_stcore/stream", f"localhost:{guarded}", f"http://localhost:{guarded}", True) == 101
    assert _status(guarded, "/", here) == 200


@pytest.mark.parametrize(
    ("host", "origin"),
    [
        ("rebind.example", "http://rebind.example"),  # DNS rebinding: the page's own name, pointed at 127.0.0.1
        ("rebind.example:{port}", None),
        ("127.0.0.1:{port}", "http://evil.example"),  # a foreign page opening ws://127.0.0.1
        ("127.0.0.1:{port}", "null"),
        ("127.0.0.1.evil.example", "http://127.0.0.1.evil.example"),
    ],
)
def test_a_websocket_with_a_foreign_host_or_origin_is_refused(guarded, host, origin):
    assert _status(guarded, "/_stcore/stream", host.format(port=guarded), origin, websocket=True) == 403


def test_pages_under_a_foreign_host_are_refused(guarded):
    assert _status(guarded, "/", "rebind.example") == 403
    assert _status(guarded, "/_stcore/health", f"rebind.example:{guarded}") == 403


def test_the_metrics_endpoint_is_off(guarded):
    assert _status(guarded, "/_stcore/metrics", f"127.0.0.1:{guarded}") == 404
    assert _status(guarded, "/_stcore/metrics/", f"localhost:{guarded}") == 404


def test_plain_streamlit_run_refuses_a_foreign_websocket_host_by_config(tmp_path):
    proc, port = _start("app.py", tmp_path)
    try:
        assert _status(port, "/_stcore/stream", "rebind.example", "http://rebind.example", websocket=True) == 403
        here = f"127.0.0.1:{port}"
        assert _status(port, "/_stcore/stream", here, f"http://{here}", websocket=True) == 101
    finally:
        stop_app(proc)


def test_host_rules():
    assert host_matches("localhost", LOOPBACK_HOSTS) and host_matches("::1", LOOPBACK_HOSTS)
    assert host_matches("a.example.com", ("*.example.com",)) and not host_matches(
        "example.com.evil", ("*.example.com",)
    )
    assert request_allowed("websocket", "[::1]:8501", "http://[::1]:8501", LOOPBACK_HOSTS)
    assert not request_allowed("websocket", "127.0.0.1:8501", "file://", LOOPBACK_HOSTS)
    assert not request_allowed("http", None, None, LOOPBACK_HOSTS)  # HTTP/1.1 always names a Host
    assert not request_allowed("http", "127.0.0.1:notaport", None, LOOPBACK_HOSTS)
    assert request_allowed("websocket", "dash.example.com", "https://dash.example.com", ("dash.example.com",))

"""scripts/serve.sh: two Streamlit processes behind nginx on loopback, sticky by cookie, websockets upgraded.

Needs nginx (scripts/test.sh installs the Debian package nginx-light) and the throwaway PostgreSQL server
for the app database (two processes may not share SQLite).
"""

import asyncio
import concurrent.futures
import os
import shutil
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from devtools.browser import free_port
from tests.apptest import build_warehouse
from tests.test_serving import tables

REPO = Path(__file__).resolve().parent.parent
SERVE = REPO / "scripts" / "serve.sh"
HAVE_NGINX = bool(shutil.which("nginx") or os.access("/usr/sbin/nginx", os.X_OK))


def get(url: str, cookie: str | None = None):
    request = urllib.request.Request(url, headers={"Cookie": f"trust_node={cookie}"} if cookie else {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.headers, response.read()


def wait_until_up(base: str, proc: subprocess.Popen, backends: int, timeout: float = 120) -> None:
    """Until nginx answers and each of the `backends` Streamlit processes has answered its health check."""
    deadline = time.monotonic() + timeout
    seen: set[str] = set()
    n = 0
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"serve.sh exited with {proc.returncode}:\n{proc.stdout.read()}")
        n += 1
        try:
            status, headers, _ = get(f"{base}/_stcore/health", cookie=f"probe{n}")
            if status == 200:
                seen.add(headers["X-Trust-Node"])
                if len(seen) == backends:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"serve.sh did not answer from {backends} processes within {timeout:.0f} s (saw {seen})")


@pytest.fixture(scope="module")
def served(tmp_path_factory, pg_server):
    if not HAVE_NGINX:
        pytest.skip("nginx is not installed: scripts/test.sh installs the Debian package nginx-light")
    tmp = tmp_path_factory.mktemp("serve")
    env = {
        **os.environ,
        "TRUST_WAREHOUSE_URL": build_warehouse(tmp / "warehouse.duckdb", tables()),
        "TRUST_APP_DB_URL": pg_server.create_database("serve_app"),
        "TRUST_SERVING_DIR": str(tmp / "serving"),
    }
    port, backend = free_port(), free_port()
    proc = subprocess.Popen(
        [str(SERVE), "--processes", "2", "--port", str(port), "--backend-port", str(backend)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, proc, backends=2)
        yield base, {f"127.0.0.1:{backend + 1}", f"127.0.0.1:{backend + 2}"}
    finally:
        proc.send_signal(signal.SIGTERM)  # serve.sh stops nginx and both processes itself
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_the_page_is_served_through_nginx_and_a_cookie_names_the_process(served):
    base, backends = served
    status, headers, body = get(base + "/")
    assert status == 200
    assert b"<noscript>" in body.lower() or b"streamlit" in body.lower()
    cookie = next(c for c in headers.get_all("Set-Cookie") if c.startswith("trust_node="))
    assert "HttpOnly" in cookie
    assert headers["X-Trust-Node"] in backends
    # With the cookie, every later request lands on the same process; no new cookie is set.
    key = cookie.split(";")[0].removeprefix("trust_node=")
    answers = [get(base + "/_stcore/health", cookie=key)[1] for _ in range(6)]
    assert {h["X-Trust-Node"] for h in answers} == {headers["X-Trust-Node"]}
    assert not any(c.startswith("trust_node=") for h in answers for c in h.get_all("Set-Cookie") or [])


def test_different_browsers_are_spread_over_both_processes(served):
    base, backends = served
    nodes = {get(base + "/_stcore/health", cookie=f"browser-{n}")[1]["X-Trust-Node"] for n in range(16)}
    assert nodes == backends


async def open_session(ws_url: str, cookie: str) -> tuple[int, str, int, list[str]]:
    """Upgrade to Streamlit's websocket through nginx and run the first page; (status, node, elements,
    exceptions)."""
    async with websockets.connect(
        ws_url, subprotocols=["streamlit"], additional_headers={"Cookie": f"trust_node={cookie}"}, max_size=None
    ) as ws:
        status, node = ws.response.status_code, ws.response.headers["X-Trust-Node"]
        msg = BackMsg()
        msg.rerun_script.CopyFrom(ClientState(query_string="as_of=2024-07-01"))
        await ws.send(msg.SerializeToString())
        elements, exceptions = 0, []
        while True:
            forward = ForwardMsg()
            forward.ParseFromString(await asyncio.wait_for(ws.recv(), 60))
            kind = forward.WhichOneof("type")
            if kind == "delta" and forward.delta.WhichOneof("type") == "new_element":
                elements += 1
                if forward.delta.new_element.WhichOneof("type") == "exception":
                    exceptions.append(forward.delta.new_element.exception.message)
            elif kind == "script_finished" and forward.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                assert forward.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY
                return status, node, elements, exceptions


def test_a_websocket_session_upgrades_through_nginx_on_the_cookies_process(served):
    base, backends = served
    ws_url = base.replace("http://", "ws://") + "/_stcore/stream"
    for cookie in ("browser-1", "browser-2", "browser-3"):
        node = get(base + "/_stcore/health", cookie=cookie)[1]["X-Trust-Node"]
        # A fresh thread has no event loop: the browser tests that ran before in this process (Playwright's
        # sync API) may have left one running in the main thread, and asyncio.run refuses to nest.
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            status, ws_node, elements, exceptions = pool.submit(asyncio.run, open_session(ws_url, cookie)).result()
        assert status == 101
        assert ws_node == node  # the session runs on the process its page came from
        assert exceptions == []
        assert elements > 3  # the page drew its title, metrics and table through the proxy


def test_two_processes_on_sqlite_are_refused(tmp_path):
    env = {**os.environ, "TRUST_APP_DB_URL": f"sqlite:///{tmp_path / 'app.sqlite'}"}
    result = subprocess.run(
        [str(SERVE), "--processes", "2"], cwd=REPO, env=env, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2
    assert "PostgreSQL app database" in result.stderr and "TRUST_APP_DB_URL" in result.stderr


def test_a_bad_process_count_is_refused():
    result = subprocess.run([str(SERVE), "--processes", "two"], cwd=REPO, capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "--processes must be a whole number" in result.stderr

"""A throwaway PostgreSQL 15 server for tests and benchmarks: initdb + pg_ctl on a loopback port.

Runs as the `postgres` user when started as root; the data and socket live under /tmp and are
removed on stop.
"""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    """start() → a superuser URL (postgresql+psycopg://) on 127.0.0.1; stop() removes everything."""

    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="trust-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.user = "postgres" if os.geteuid() == 0 else None

    def _run(self, *args: str) -> None:
        cmd = [str(a) for a in args]
        if self.user:
            cmd = ["su", self.user, "-s", "/bin/sh", "-c", " ".join(f"'{c}'" for c in cmd)]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self) -> "PgServer":
        if self.user:
            shutil.chown(self.root, self.user)
        self._run(PG_BIN / "initdb", "-D", self.data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8")
        opts = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(PG_BIN / "pg_ctl", "-D", self.data, "-w", "-l", self.root / "log", "-o", opts, "start")
        return self

    def url(self, database: str = "postgres", user: str = "postgres", password: str | None = None) -> str:
        auth = f"{user}:{password}" if password else user
        return f"postgresql+psycopg://{auth}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create a fresh database (name from the caller's code, not input) and return its URL."""
        from sqlalchemy import create_engine, text

        engine = create_engine(self.url(), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        return self.url(name)

    def stop(self) -> None:
        # pg_ctl waits up to 60 s for the server to go, by default; on a busy machine a test session's last
        # teardown sat out that minute now and then. An immediate stop takes a tenth of a second: wait 3 s, then kill.
        try:
            self._run(PG_BIN / "pg_ctl", "-D", self.data, "-m", "immediate", "-t", "3", "stop")
        except subprocess.CalledProcessError:
            try:
                os.kill(int((self.data / "postmaster.pid").read_text().split()[0]), signal.SIGKILL)
            except (OSError, ValueError, IndexError):
                pass
        shutil.rmtree(self.root, ignore_errors=True)

    def restart(self) -> None:
        opts = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(PG_BIN / "pg_ctl", "-D", self.data, "-w", "-l", self.root / "log", "-o", opts, "restart")


if __name__ == "__main__":
    server = PgServer().start()
    print(server.url())
    time.sleep(2)
    server.stop()

"""A throwaway standalone Spark cluster for tests and benchmarks: a master, a worker and the Spark
Thrift server (HiveServer2 protocol) on free loopback ports, all from the pip `pyspark` package.

    cluster = SparkCluster().start()   # about 30-60 s; raises SparkClusterError with the log tail
    cluster.url()                      # hive://127.0.0.1:PORT/default, for SQLAlchemy via PyHive
    cluster.stop()                     # kills the three process groups, removes the temp dir

`python -m devtools.sparkserver` starts one, prints its URL and runs until interrupted.
The warehouse directory and the Derby metastore live in the temp dir; memory is kept small because
the cluster shares the machine with other work.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

START_TIMEOUT_S = float(os.environ.get("SPARK_START_TIMEOUT", "120"))


class SparkClusterError(RuntimeError):
    """The cluster did not come up; the message carries the tail of the relevant log."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def spark_home() -> Path:
    """The Spark distribution inside the pip pyspark package (bin/, jars/)."""
    import pyspark

    return Path(pyspark.__file__).resolve().parent


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


class SparkCluster:
    """start() → self; url() → the Thrift server's SQLAlchemy URL; stop() removes everything."""

    def __init__(self, *, worker_cores: int = 2, worker_memory: str = "2g", driver_memory: str = "1g"):
        self.root = Path(tempfile.mkdtemp(prefix="trust-spark-"))
        self.warehouse_dir = self.root / "warehouse"
        self.data_dir = self.root / "data"  # Parquet files of external tables (data.spark)
        self.master_port = _free_port()
        self.thrift_port = _free_port()
        self.worker_cores = worker_cores
        self.worker_memory = worker_memory
        self.driver_memory = driver_memory
        self.processes: dict[str, subprocess.Popen] = {}

    # -- processes -------------------------------------------------------------------------------

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        home = spark_home()
        env.update(
            SPARK_HOME=str(home),
            SPARK_LOCAL_IP="127.0.0.1",
            SPARK_LOCAL_DIRS=str(self.root / "local"),
            SPARK_WORKER_DIR=str(self.root / "work"),
            # The same Python for executors as for this process, should anyone run PySpark on it.
            PYSPARK_PYTHON=sys.executable,
        )
        env.pop("SPARK_CONF_DIR", None)
        return env

    def _spawn(self, name: str, args: list[str]) -> None:
        log = open(self.root / f"{name}.log", "wb")
        self.processes[name] = subprocess.Popen(
            args,
            cwd=self.root,  # derby.log and stray metastore files land here
            env=self._env(),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so stop() can kill java and its children
        )
        log.close()

    def _wait_for_port(self, name: str, port: int, deadline: float) -> None:
        while time.monotonic() < deadline:
            if _port_open(port):
                return
            if self.processes[name].poll() is not None:
                break
            time.sleep(0.5)
        self._fail(name, f"port {port} did not open")

    def _fail(self, name: str, what: str):
        log = self.root / f"{name}.log"
        message = f"Spark {name} failed to start ({what}). Last lines of {log}:\n{_tail(log)}"
        self.stop(keep_logs=True)
        raise SparkClusterError(message)

    def start(self) -> "SparkCluster":
        deadline = time.monotonic() + START_TIMEOUT_S
        bin_dir = spark_home() / "bin"
        for d in (self.warehouse_dir, self.data_dir, self.root / "local", self.root / "work"):
            d.mkdir(parents=True, exist_ok=True)
        master_ui, worker_ui, worker_port = _free_port(), _free_port(), _free_port()
        self._spawn(
            "master",
            [str(bin_dir / "spark-class"), "org.apache.spark.deploy.master.Master",
             "--host", "127.0.0.1", "--port", str(self.master_port), "--webui-port", str(master_ui)],
        )  # fmt: skip
        self._wait_for_port("master", self.master_port, deadline)
        self._spawn(
            "worker",
            [str(bin_dir / "spark-class"), "org.apache.spark.deploy.worker.Worker",
             "--host", "127.0.0.1", "--port", str(worker_port), "--webui-port", str(worker_ui),
             "--cores", str(self.worker_cores), "--memory", self.worker_memory,
             "--work-dir", str(self.root / "work"), self.master_url()],
        )  # fmt: skip
        metastore = self.root / "metastore_db"
        conf = {
            "spark.master": self.master_url(),
            "spark.driver.host": "127.0.0.1",
            "spark.driver.bindAddress": "127.0.0.1",
            "spark.driver.memory": self.driver_memory,
            "spark.executor.memory": "1g",
            "spark.executor.cores": str(self.worker_cores),
            "spark.cores.max": str(self.worker_cores),
            "spark.ui.enabled": "false",
            "spark.sql.shuffle.partitions": "4",
            "spark.sql.adaptive.enabled": "true",
            # UTC everywhere, and TIMESTAMP means TIMESTAMP_NTZ: the contract's timestamps have no zone.
            "spark.sql.session.timeZone": "UTC",
            "spark.sql.timestampType": "TIMESTAMP_NTZ",
            "spark.driver.extraJavaOptions": f"-Duser.timezone=UTC -Dderby.system.home={self.root}",
            "spark.executor.extraJavaOptions": "-Duser.timezone=UTC",
            "spark.sql.warehouse.dir": str(self.warehouse_dir),
            "spark.sql.catalogImplementation": "hive",
            "spark.hadoop.javax.jdo.option.ConnectionURL": f"jdbc:derby:;databaseName={metastore};create=true",
            # Stream results to the client a partition at a time: a collected 5M-row uptake history
            # does not fit a small driver heap.
            "spark.sql.thriftServer.incrementalCollect": "true",
        }
        hiveconf = {
            "hive.server2.thrift.port": str(self.thrift_port),
            "hive.server2.thrift.bind.host": "127.0.0.1",
            "hive.server2.transport.mode": "binary",
            "hive.server2.authentication": "NONE",
            "hive.server2.enable.doAs": "false",
        }
        args = [str(bin_dir / "spark-submit"), "--class", "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2",
                "--name", "trust-thrift"]  # fmt: skip
        for key, value in conf.items():
            args += ["--conf", f"{key}={value}"]
        args.append("spark-internal")
        for key, value in hiveconf.items():
            args += ["--hiveconf", f"{key}={value}"]
        self._spawn("thrift", args)
        self._wait_for_port("thrift", self.thrift_port, deadline)
        self._wait_for_query(deadline)
        return self

    def start_in_background(self) -> "SparkCluster":
        """Begin start() in a thread and return at once; ready() waits for it (and raises its error)."""
        import concurrent.futures

        self._starting = concurrent.futures.ThreadPoolExecutor(max_workers=1).submit(self.start)
        return self

    def ready(self) -> "SparkCluster":
        starting = getattr(self, "_starting", None)
        if starting is not None:
            starting.result()
        return self

    def _wait_for_query(self, deadline: float) -> None:
        from pyhive import hive

        last = None
        while time.monotonic() < deadline:
            try:
                with hive.connect(host="127.0.0.1", port=self.thrift_port, database="default") as conn:
                    cursor = conn.cursor()
                    cursor.execute("SELECT 1")
                    if cursor.fetchall() == [(1,)]:
                        # A job on the worker, so its executor is up before the first real query.
                        cursor.execute("SELECT count(*) FROM range(1000)")
                        cursor.fetchall()
                        return
            except Exception as exc:  # the server answers the port before it accepts sessions
                last = exc
            if self.processes["thrift"].poll() is not None:
                break
            time.sleep(1)
        self._fail("thrift", f"SELECT 1 did not answer: {last!r}")

    # -- addresses -------------------------------------------------------------------------------

    def master_url(self) -> str:
        return f"spark://127.0.0.1:{self.master_port}"

    def url(self, database: str = "default") -> str:
        return f"hive://127.0.0.1:{self.thrift_port}/{database}"

    # -- teardown --------------------------------------------------------------------------------

    def stop(self, keep_logs: bool = False) -> None:
        starting, self._starting = getattr(self, "_starting", None), None
        if starting is not None and not starting.done():
            starting.exception()  # let a start in progress finish (or fail) before killing what it spawned
        # The Thrift server first (it is the cluster's application), then worker, then master.
        for name in ("thrift", "worker", "master"):
            process = self.processes.pop(name, None)
            if process is None:
                continue
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=15)
            except ProcessLookupError:
                pass
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        if not keep_logs:
            shutil.rmtree(self.root, ignore_errors=True)


if __name__ == "__main__":
    started = time.monotonic()
    cluster = SparkCluster().start()
    print(f"Spark Thrift server ready in {time.monotonic() - started:.0f} s: {cluster.url()}", flush=True)
    print(f"master {cluster.master_url()}; data and logs under {cluster.root}; Ctrl-C stops it", flush=True)
    try:
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        while True:
            time.sleep(3600)
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        cluster.stop()

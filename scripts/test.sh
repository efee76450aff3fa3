#!/usr/bin/env bash
# Install everything the tests need (Debian packages, Python packages) and run the whole suite:
# DuckDB, a throwaway PostgreSQL 15 server, a standalone Spark cluster with its Thrift server, and
# headless Chromium are all started by the tests themselves.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=()
[ -x /usr/lib/postgresql/15/bin/initdb ] || apt_packages+=(postgresql-15)
[ -x /usr/bin/chromium ] || apt_packages+=(chromium)
command -v java >/dev/null 2>&1 || apt_packages+=(openjdk-17-jre-headless)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || apt_packages+=(nginx-light)
if [ ${#apt_packages[@]} -gt 0 ]; then
  echo "Installing Debian packages: ${apt_packages[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${apt_packages[@]}" >/dev/null
fi
source scripts/venv.sh requirements-test.txt

export SPARK_LOCAL_IP=127.0.0.1
# Compiled bytecode (and pytest's rewritten test modules) is cached outside the work tree: without a cache
# every pytest process and every `python -m` a test starts compiles it all again.
unset PYTHONDONTWRITEBYTECODE
export PYTHONPYCACHEPREFIX="${PYTHONPYCACHEPREFIX:-${TMPDIR:-/tmp}/trust-pycache}"
# `--fast`: the fast loop, everything but Spark and the real browser, in three worker processes (pytest-xdist;
# three beat two on two cores: some tests wait on servers and subprocesses;
# each test file stays in one worker, each worker has its own PostgreSQL server and throwaway files).
if [ "${1:-}" = "--fast" ]; then
  shift
  set -- -m "not spark and not browser" -n 3 --dist loadfile "$@"
fi
# duckdb's bindings print harmless reference-leak notes at interpreter exit; keep them out of the report.
"$PY" -m pytest "$@" 2> >(grep -v -E 'nanobind|leaked|skipped remainder|refleaks' >&2)

#!/usr/bin/env bash
# Serve the dashboard from N Streamlit processes (one per core by default) behind nginx, with sticky
# sessions (a cookie) and websocket upgrade. Every process reads the same warehouse and the serving
# layer's snapshots on disk; the app database (saved policies, audit) must then be PostgreSQL
# (TRUST_APP_DB_URL): SQLite is for one process only.
#
#   scripts/serve.sh [--processes N] [--port 8501] [--listen 127.0.0.1] [--backend-port 8600] [-- streamlit args]
#
# nginx listens on --listen:--port; the Streamlit processes on 127.0.0.1:backend-port+1 … +N. Ctrl-C (or
# SIGTERM) stops nginx and every process. Demo mode (no [auth]) makes everyone admin: keep --listen on
# loopback unless sign-in is configured.
set -euo pipefail
cd "$(dirname "$0")/.."

processes="$(nproc)"
port=8501
listen=127.0.0.1
backend_port=8600
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --processes) processes="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    --listen) listen="$2"; shift 2 ;;
    --backend-port) backend_port="$2"; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "serve.sh: unknown option $1 (see the comment at the top of scripts/serve.sh)" >&2; exit 2 ;;
  esac
done
if ! [[ "$processes" =~ ^[1-9][0-9]*$ ]]; then
  echo "serve.sh: --processes must be a whole number of at least 1, not '$processes'" >&2
  exit 2
fi
app_db="${TRUST_APP_DB_URL:-}"
if [ "$processes" -gt 1 ] && [[ -z "$app_db" || "$app_db" == sqlite* ]]; then
  echo "serve.sh: $processes processes need a PostgreSQL app database: set TRUST_APP_DB_URL" \
    "(postgresql+psycopg://…), or run one process with --processes 1" >&2
  exit 2
fi

if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  echo "Installing the Debian package nginx-light"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends nginx-light >/dev/null
fi
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"

source scripts/venv.sh requirements.txt
"$PY" -c "from data.generate import ensure_demo_warehouse as e; e() and print(\"Generated the demo warehouse data/warehouse.duckdb\")"

rundir="$(mktemp -d -t trust-serve-XXXXXX)"
pids=()
stop() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$rundir"
}
trap stop EXIT
trap 'exit 0' INT TERM

# Streamlit runs every script run in a new thread; glibc gives threads their own malloc arenas (up to 8 per
# core), whose freed pages a long-lived server rarely hands back. Two arenas keep the processes' memory near
# what they hold (bench/report.py's soak measures it after the closed sessions expire).
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"

upstreams=""
for i in $(seq 1 "$processes"); do
  p=$((backend_port + i))
  "$PY" -m streamlit run serve.py --server.address 127.0.0.1 --server.port "$p" --server.headless true \
    --browser.gatherUsageStats false "${extra[@]}" >"$rundir/streamlit-$i.log" 2>&1 &
  pids+=("$!")
  upstreams+="        server 127.0.0.1:$p max_fails=0;"$'\n'
done

# Compute today's scorecard and uptake history into the serving layer while the processes start.
"$PY" -m queries.serving >"$rundir/warm.log" 2>&1 &
pids+=("$!")

sed -e "s|@RUNDIR@|$rundir|g" -e "s|@LISTEN@|$listen:$port|g" config/nginx.conf.template \
  | awk -v ups="$upstreams" '{ if ($0 == "@UPSTREAMS@") printf "%s", ups; else print }' >"$rundir/nginx.conf"
"$NGINX" -t -q -p "$rundir" -c "$rundir/nginx.conf" -e "$rundir/error.log"
"$NGINX" -p "$rundir" -c "$rundir/nginx.conf" -e "$rundir/error.log" &
pids+=("$!")
echo "Serving http://$listen:$port from $processes Streamlit processes (ports $((backend_port + 1))-$((backend_port + processes))); logs in $rundir"

# Stop everything when nginx or any Streamlit process ends (the warm-up may end first: skip it).
while true; do
  wait -n || true
  for pid in "${pids[@]:0:$processes}" "${pids[-1]}"; do
    kill -0 "$pid" 2>/dev/null || { echo "serve.sh: process $pid ended; stopping" >&2; exit 1; }
  done
done

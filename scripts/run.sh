#!/usr/bin/env bash
# Start the dashboard on the embedded DuckDB warehouse (the seeded demo is generated on first start).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh requirements.txt
"$PY" -c "from data.generate import ensure_demo_warehouse as e; e() and print(\"Generated the demo warehouse data/warehouse.duckdb\")"
# Local only by default: demo mode (no [auth]) makes everyone admin, so never listen beyond loopback.
# serve.py is app.py behind a Host/Origin allow-list with the metrics endpoint off (auth/network.py).
exec "$PY" -m streamlit run serve.py --server.address 127.0.0.1 "$@"

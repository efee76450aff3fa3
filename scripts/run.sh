#!/usr/bin/env bash
# Start the dashboard on the embedded DuckDB warehouse (the seeded demo is generated on first start).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet --disable-pip-version-check -r requirements.txt
python3 -c "from data.generate import ensure_demo_warehouse as e; e() and print(\"Generated the demo warehouse data/warehouse.duckdb\")"
exec python3 -m streamlit run app.py "$@"

"""Throwaway servers for tests and benchmarks: PostgreSQL 15 (pgserver), a local Spark cluster with its
Thrift server (sparkserver) and a Streamlit server driven by headless Chromium (browser). Loopback only."""

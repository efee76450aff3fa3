"""Charts (DataFrame → Vega-Lite spec or plotly Figure) and shared widgets; no SQL."""

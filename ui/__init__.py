"""Charts (DataFrame → plotly Figure) and shared widgets; no SQL."""

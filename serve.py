"""Launcher: the dashboard (app.py) behind auth.network.LocalGuard; scripts/run.sh starts it.

`streamlit run serve.py` finds `app` (an st.App) and serves app.py through it, so every request first
passes the Host/Origin allow-list, and the metrics endpoint is off. `streamlit run app.py` still works
(Streamlit's own server.allowedHosts check of the WebSocket Host applies), without those extras.
"""

import streamlit as st
from starlette.middleware import Middleware

from auth.network import LocalGuard

app = st.App("app.py", middleware=[Middleware(LocalGuard)])

"""Trade Assurance trust dashboard: the router ("picture frame") and the shared sidebar."""

import streamlit as st

from data.generate import ensure_demo_warehouse
from queries.engine import DEFAULT_URL, WarehouseError, resolve_url
from ui.context import sidebar

st.set_page_config(page_title="Trade Assurance trust", page_icon="🛡️", layout="wide")



@st.cache_resource(show_spinner="Generating the demo warehouse (first start only, about 10 s)…")
def _demo_warehouse_ready() -> bool:
    """Generate the seeded demo warehouse once per server when the embedded default has none."""
    return ensure_demo_warehouse()


if resolve_url() == DEFAULT_URL:
    _demo_warehouse_ready()

pages = st.navigation(
    [
        st.Page("pages/overview.py", title="Overview", icon="🏠", default=True),
        st.Page("pages/suppliers.py", title="Supplier vetting", icon="🔎"),
        st.Page("pages/uptake.py", title="Program uptake", icon="📈"),
        st.Page("pages/policy_lab.py", title="Policy lab", icon="🧪"),
    ]
)
try:
    sidebar()
except WarehouseError as exc:
    st.error(str(exc))
    st.stop()
except Exception:  # the driver's message may hold SQL or a connection string: never show it
    st.error("The warehouse could not be reached or queried. Check that it is running, then reload the page.")
    st.stop()
pages.run()

"""ui.widgets: the one CSV download button and the one tile with a change, drawn by a real Streamlit run."""

from streamlit.testing.v1 import AppTest


def _page():
    import polars as pl
    import streamlit as st

    from ui.widgets import csv_download, delta_tile

    frame = pl.DataFrame({"supplier_id": list(range(1, 1235)), "name": ["=cmd"] + ["Acme"] * 1233})
    csv_download("Download {rows} rows (CSV)", frame, "rows.csv", "rows_csv")
    csv_download("Download later (CSV)", frame.head(2), "later.csv", "later_csv", lazy=True)
    columns = st.columns(4)
    delta_tile(columns[0], "Qualified", "8", 8, 9)
    delta_tile(columns[1], "Amount", "$75k", 75_000.0, 72_500.0, "money", delta_color="inverse", help="exact")
    delta_tile(columns[2], "Same", "3", 3, 3)
    delta_tile(columns[3], "New", "3", 3, None)


def test_the_download_counts_rows_with_separators_and_the_tiles_sign_their_change():
    at = AppTest.from_function(_page, default_timeout=30).run()
    assert not at.exception, at.exception
    buttons = at.get("download_button")
    # 1,234 rows by hand: ids 1..1234; the row count is written with a thousands separator.
    assert [b.proto.label for b in buttons] == ["Download 1,234 rows (CSV)", "Download later (CSV)"]
    tiles = {m.label: (m.value, m.delta) for m in at.metric}
    assert tiles["Qualified"] == ("8", "-1")  # ASCII minus: st.metric colours it and points the arrow down
    assert tiles["Amount"] == ("$75k", "+$2,500")
    assert tiles["Same"] == ("3", "0")
    assert tiles["New"][1] in (None, "")  # nothing to compare with: no delta at all
    colour = {m.label: m.proto.color for m in at.metric}
    # A fall under "normal" and a rise under "inverse" are both bad news: the same (red) colour; a rise
    # under "normal" would be the other one.
    assert colour["Qualified"] == colour["Amount"] != colour["Same"]
    assert [m.proto.help for m in at.metric if m.label == "Amount"] == ["exact"]


def test_the_csv_is_the_contract_columns_with_formulas_neutralised():
    import polars as pl

    from ui.export import csv_bytes

    frame = pl.DataFrame({"supplier_id": [1, 2], "name": ["=cmd", "Acme"]})
    assert csv_bytes(frame).decode() == "supplier_id,name\n1,'=cmd\n2,Acme\n"

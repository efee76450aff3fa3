"""Widgets every page draws the same way, written once: a CSV download of a frame, a tile with a change and a
card tile (a label and a value that wraps instead of being cut).

Words and numbers come from ui.format (and so the catalogue); the CSV keeps the contract's column names and
raw values (ui.export).
"""

from collections.abc import Callable

import polars as pl
import streamlit as st

from ui import format as fmt
from ui.explain import escape_markdown
from ui.export import csv_bytes

ROWS = "{rows}"  # in a download's label: the frame's row count with separators, e.g. "Download {rows} changes"


def csv_download(
    label: str, frame: pl.DataFrame, file_name: str, key: str, *, lazy: bool = False, icon: str | None = None
) -> None:
    """A button that downloads `frame` as CSV (formula-like cells neutralised). `{rows}` in the label becomes
    fmt.count(frame.height). `lazy` writes the CSV only when clicked (for frames rebuilt on every slider move).
    A click never reruns the page."""
    data: bytes | Callable[[], bytes] = (lambda: csv_bytes(frame)) if lazy else csv_bytes(frame)
    st.download_button(
        label.replace(ROWS, fmt.count(frame.height)),
        data,
        file_name=file_name,
        mime="text/csv",
        key=key,
        on_click="ignore",
        icon=icon,
    )


def delta_tile(
    where,
    label: str,
    value: str,
    now,
    then,
    kind: str = "count",
    *,
    delta_color: str = "normal",
    help: str | None = None,  # noqa: A002 - st.metric's own word
    border: bool = False,
) -> None:
    """A metric tile in `where` (st or a column): `value` (already formatted) with the change from `then` to
    `now` as its delta (fmt.metric_delta: signed, ASCII minus, '0' for none, no delta when either is missing).
    A change already worked out is passed as now=change, then=0."""
    where.metric(label, value, fmt.metric_delta(now, then, kind), delta_color=delta_color, help=help, border=border)


def card_tile(where, label: str, value: str, help: str | None = None) -> None:
    """A label and a value that wraps instead of being cut (st.metric cuts a long value with an ellipsis, e.g.
    'Qualified (under grace)' in a fifth of a card): our own formatted figures only, never warehouse text."""
    with where:
        st.caption(label, help=help)
        st.markdown(f"**{escape_markdown(value)}**")

"""st.dataframe column settings from the catalogue: label, help and a display format per column.

Tables show text formatted by ui.format (rates that never cross their threshold, money to the dollar,
"—" for missing), because st.dataframe's number formats round a rate to the nearest step and show a null
as "None". Only the displayed frame is formatted: CSV downloads take the raw frame (contract names and values).
Formatting is per value in Python (10,000 rows × 12 columns take about 0.6 s), so `display` keeps its last
results by the frame's content: a rerun that shows the same rows (a widget elsewhere moved, the page
reopened) costs a hash of the rows instead.

A table whose people sort by clicking a header can keep its money, count and hour columns as numbers
(`numbers=`): each value rounded exactly as ui.format shows it, drawn by a NumberColumn format that prints the
same text ("$49,011,555", "77,471", "3.4 h"), so the column sorts by value, not as text. Its missing values
need `placeholder=fmt.NULL` on st.dataframe (else the grid draws "None").
"""

import hashlib
import threading
from collections import OrderedDict

import polars as pl
import streamlit as st

import catalogue
from ui import format as fmt

# Kinds whose text is a number: right-aligned like numbers.
_NUMERIC = {"money", "rate", "count", "hours", "days", "number"}


def _dollars(value) -> int:
    """The whole dollars ui.format.money shows for `value` (its rounding, read back from its text)."""
    n = int(fmt.money(abs(value)).removeprefix("$").replace(",", ""))
    return -n if value < 0 else n


# Kind → (the printf format st.column_config draws, the number ui.format's text shows). The format prints
# ui.format's text for every value but a negative sum of money: "$-1,234" where ui.format says "−$1,234".
NUMBER_FORMATS = {
    "money": ("$%,d", _dollars),
    "count": ("%,d", lambda v: int(round(float(v)))),
    "hours": ("%,.1f h", lambda v: round(float(v), 1)),
}
# Metric → (policy key, rule kind) for the rates and figures a rule reads.
_RULE_OF_METRIC = {
    e.metric: (e.policy_key, "max" if e.rounding == "up" else "min")
    for e in map(catalogue.entry, catalogue.codes("rule"))
}


def _entry(code: str) -> catalogue.Entry | None:
    for group in ("metric", "derived", "column", "policy"):
        if catalogue.has(code, group):
            return catalogue.entry(code, group)
    return None


def _formatter(code: str, policy=None, compact: bool = False):
    e = _entry(code)
    if e is None:
        return None
    if e.kind == "rate" and policy is not None and code in _RULE_OF_METRIC:
        key, kind = _RULE_OF_METRIC[code]
        threshold = getattr(policy, key)
        return lambda v: fmt.rate_against(v, threshold, kind)
    return fmt.formatter(code, compact=compact, group=e.group)


MEMO_SIZE = 16  # displayed frames kept (one per table shown lately, across sessions)
_memo: OrderedDict[tuple, pl.DataFrame] = OrderedDict()
_memo_lock = threading.Lock()


def memo_entries() -> int:
    """How many displayed frames the memo holds (at most MEMO_SIZE)."""
    return len(_memo)


def _content_key(frame: pl.DataFrame, policy, compact: bool, numbers: tuple[str, ...]) -> tuple | None:
    """What the display text depends on: the columns, their types, every row (hashed) and the options."""
    try:
        rows = hashlib.blake2b(frame.hash_rows().to_numpy().tobytes(), digest_size=16).digest()
        schema = tuple((name, str(dtype)) for name, dtype in frame.schema.items())
        return (schema, frame.height, rows, policy, compact, tuple(numbers))
    except (pl.exceptions.PolarsError, TypeError):  # a column polars cannot hash: format without the memo
        return None


def _number_kind(code: str) -> str:
    e = _entry(code)
    if e is None or e.kind not in NUMBER_FORMATS:
        raise ValueError(f"{code}: only money, count and hours columns can stay numbers in a table")
    return e.kind


def display(frame: pl.DataFrame, *, policy=None, compact: bool = False, numbers: tuple[str, ...] = ()) -> pl.DataFrame:
    """`frame` with every catalogue column turned into its display text (other columns as they are).

    `policy` (a policy.Policy) shows a rule's rate with enough decimals to tell pass from fail at its threshold.
    `numbers` (money, count or hours columns) stay numbers, rounded as ui.format shows them: draw them with
    `config(..., numbers=...)`. The same content shown again is served from a small memo (frames are never
    changed in place).
    """
    key = _content_key(frame, policy, compact, numbers)
    with _memo_lock:
        if key is not None and key in _memo:
            _memo.move_to_end(key)
            return _memo[key]
    shown = _display(frame, policy, compact, numbers)
    if key is not None:
        with _memo_lock:
            _memo[key] = shown
            while len(_memo) > MEMO_SIZE:
                _memo.popitem(last=False)
    return shown


def _display(frame: pl.DataFrame, policy, compact: bool, numbers: tuple[str, ...]) -> pl.DataFrame:
    out = []
    for name in frame.columns:
        show = _formatter(name, policy, compact)
        if name in numbers:
            kind = _number_kind(name)
            shown = NUMBER_FORMATS[kind][1]
            dtype = pl.Float64 if kind == "hours" else pl.Int64
            out.append(pl.Series(name, [None if fmt.missing(v) else shown(v) for v in frame[name].to_list()], dtype))
        elif show is None:
            out.append(frame[name])
        elif frame.schema[name] == pl.String and _entry(name).kind in ("text", "date"):
            out.append(frame[name].fill_null(fmt.NULL))
        else:
            texts: dict = {}  # each distinct value formatted once (a rate column has a few hundred)
            values = [texts[v] if v in texts else texts.setdefault(v, show(v)) for v in frame[name].to_list()]
            out.append(pl.Series(name, values, dtype=pl.String))
    return pl.DataFrame(out) if out else frame


def column(code: str, *, label: str | None = None, pinned: bool | None = None, width=None, number: bool = False):
    """A TextColumn with the catalogue's label and help for `code` (numbers right-aligned); `number`: a
    NumberColumn drawing the values of display(..., numbers=) in ui.format's text."""
    e = _entry(code)
    if e is None:
        return st.column_config.TextColumn(label or code, pinned=pinned, width=width)
    if number:
        return st.column_config.NumberColumn(
            label or e.label, help=e.help, pinned=pinned, width=width, format=NUMBER_FORMATS[_number_kind(code)][0]
        )
    return st.column_config.TextColumn(
        label or e.label,
        help=e.help,
        pinned=pinned,
        width=width,
        alignment="right" if e.kind in _NUMERIC else "left",
    )


def config(
    frame: pl.DataFrame,
    *,
    pinned: tuple[str, ...] = (),
    labels: dict[str, str] | None = None,
    numbers: tuple[str, ...] = (),
) -> dict:
    """{column: column settings} for every column of `frame`; unknown columns keep their name; `numbers` as
    display's."""
    labels = labels or {}
    return {
        name: column(name, label=labels.get(name), pinned=True if name in pinned else None, number=name in numbers)
        for name in frame.columns
    }


def table(
    frame: pl.DataFrame, *, policy=None, pinned: tuple[str, ...] = (), labels: dict[str, str] | None = None, **kwargs
):
    """Draw `frame` with st.dataframe: catalogue labels, help and formats; returns what st.dataframe returns.

    `labels` names columns the catalogue does not know (or overrides its label for this table)."""
    return st.dataframe(
        display(frame, policy=policy),
        column_config=config(frame, pinned=pinned, labels=labels),
        hide_index=True,
        **kwargs,
    )


# The policy audit trail's columns, as the Audit page and the Policy lab's audit expander draw them.
AUDIT_COLUMNS = {
    "audit_id": st.column_config.NumberColumn("#", format="%d"),
    "name": st.column_config.TextColumn("Policy"),
    "action": st.column_config.TextColumn("Action"),
    "actor": st.column_config.TextColumn("Who"),
    "at": st.column_config.DatetimeColumn("When (UTC)", format="YYYY-MM-DD HH:mm:ss"),
}

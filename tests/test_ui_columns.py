"""ui.columns.display's memo: the same content is formatted once, any change of content or options is new text."""

import polars as pl

from policy import Policy
from ui import columns

RAW = pl.DataFrame(
    {
        "supplier_id": [1, 2, 3, 4],
        "on_time_rate_6m": [0.8996, 0.95, 0.8996, None],
        "value_12m_usd": [1_500.0, 0.0, 1_500.0, None],
        "badge": ["qualified", "not_qualified", "qualified", "not_enrolled"],
    }
)


def test_the_same_content_again_is_the_same_text_and_served_from_the_memo():
    first = columns.display(RAW)
    again = columns.display(RAW.clone())  # another frame object, the same rows
    assert again is first
    assert first["on_time_rate_6m"].to_list() == ["89.9%", "95.0%", "89.9%", "—"]
    assert first["value_12m_usd"].to_list() == ["$1,500", "$0", "$1,500", "—"]


def test_one_changed_value_row_order_or_option_gives_new_text():
    base = columns.display(RAW)
    changed = columns.display(RAW.with_columns(pl.Series("value_12m_usd", [1_500.0, 0.0, 2_500.0, None])))
    assert changed["value_12m_usd"].to_list() == ["$1,500", "$0", "$2,500", "—"]
    reversed_rows = columns.display(RAW.reverse())
    assert reversed_rows["supplier_id"].to_list() == ["4", "3", "2", "1"]
    assert reversed_rows["on_time_rate_6m"].to_list() == ["—", "89.9%", "95.0%", "89.9%"]
    # a threshold off the 0.1 % grid needs more decimals: the policy is part of what the text depends on
    tight = columns.display(RAW, policy=Policy(min_on_time_rate=0.8995))
    assert tight["on_time_rate_6m"].to_list() == ["89.96%", "95.0%", "89.96%", "—"]
    assert columns.display(RAW)["on_time_rate_6m"].to_list() == base["on_time_rate_6m"].to_list()


def test_a_renamed_column_is_formatted_by_its_new_name():
    # the same values under another name are another table: "deals_12m" is a count, "something" is not
    frame = pl.DataFrame({"deals_12m": [1000, 2]})
    assert columns.display(frame)["deals_12m"].to_list() == ["1,000", "2"]
    assert columns.display(frame.rename({"deals_12m": "something"}))["something"].to_list() == [1000, 2]


def test_the_memo_stays_bounded():
    for n in range(columns.MEMO_SIZE + 5):
        columns.display(pl.DataFrame({"deals_12m": [n]}))
    assert columns.memo_entries() == columns.MEMO_SIZE

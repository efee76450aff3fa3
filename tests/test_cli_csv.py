"""The command line's fast CSV writer (polars) writes the same bytes as the cell-by-cell csv-module writer."""

import io
import math

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from queries.__main__ import write_csv, write_csv_rows

MONEY = ("amount_usd",)
floats = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True, width=64))
money = st.one_of(st.none(), st.integers(-(10**12), 10**12).map(lambda cents: cents / 100), st.floats(0, 1e9))
texts = st.one_of(st.none(), st.text(alphabet=st.sampled_from(["a", ",", '"', "\n", "\r", " ", "é", ";"]), max_size=5))
ints = st.one_of(st.none(), st.integers(-(2**62), 2**62))
rows = st.lists(st.tuples(ints, floats, money, texts), min_size=0, max_size=30)


def both(frame: pl.DataFrame) -> tuple[str, str]:
    fast, slow = io.StringIO(), io.StringIO()
    write_csv(frame, fast, MONEY)
    write_csv_rows(frame, slow, MONEY)
    return fast.getvalue(), slow.getvalue()


@settings(max_examples=200, deadline=None)
@given(rows)
def test_fast_csv_equals_the_csv_module(data):
    frame = pl.DataFrame(
        data, schema={"n": pl.Int64, "rate": pl.Float64, "amount_usd": pl.Float64, "word": pl.String}, orient="row"
    )
    fast, slow = both(frame)
    assert fast == slow


def test_worked_cells():
    frame = pl.DataFrame(
        {
            "n": [1, None],
            "rate": [1 / 3, 5e-06],
            "amount_usd": [2.675, math.nan],
            "word": ["on_time;claims", ""],
        }
    )
    fast, slow = both(frame)
    # repr of a third, Python's exponent form below 1e-4, money to the cent (2.675 is 2.67499… in binary),
    # NaN money and empty text as empty fields.
    assert fast == "n,rate,amount_usd,word\n1,0.3333333333333333,2.67,on_time;claims\n,5e-06,,\n"
    assert fast == slow

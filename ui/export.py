"""CSV downloads: the contract's column names and raw values, never a spreadsheet formula.

A text cell that starts with = + - @ or a tab (or a carriage return) is written with a leading ' so a
spreadsheet shows it as text instead of running it (../shared/PRODUCT.md, "Exports").
"""

import polars as pl

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` with every text cell that a spreadsheet would read as a formula prefixed by '."""
    text_columns = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    if not text_columns:
        return frame
    return frame.with_columns(
        pl.when(pl.any_horizontal(pl.col(name).str.starts_with(s) for s in FORMULA_STARTS))
        .then(pl.lit("'") + pl.col(name))
        .otherwise(pl.col(name))
        .alias(name)
        for name in text_columns
    )


def csv_bytes(frame: pl.DataFrame) -> bytes:
    """The frame as UTF-8 CSV with formula-like text cells neutralised."""
    return neutralise(frame).write_csv().encode("utf-8")

"""The only package that talks to the warehouse: statement builders and fetchers returning polars."""

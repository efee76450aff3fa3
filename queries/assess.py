"""An assessment at an as-of date: the scorecard fetched from the warehouse, then policy.assess.

`assessment_at(conn, as_of, policy, previous)` is what `python -m queries assess` and the Assessments page
both run; recording and publishing are store.assessments' part.
"""

from datetime import date

import polars as pl
from sqlalchemy.engine import Connection

from policy import Policy
from policy.assess import assess
from queries.scorecard import fetch_features


def assessment_at(conn: Connection, as_of: date, policy: Policy, previous: pl.DataFrame | None) -> pl.DataFrame:
    """Every supplier's assessment at `as_of` under `policy`, grace applied over `previous` (policy.assess)."""
    return assess(fetch_features(conn, as_of), policy, previous)

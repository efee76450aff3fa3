"""As-of dates and the metric windows of PRODUCT.md, computed in Python and bound as parameters.

The default as-of date is the day after the data's last event (T of PRODUCT.md's projection, as a date):
the latest timestamp of any table but an order's ship_by (queries.freshness), counting only events up
to a year after the latest order (activity_bound): a placeholder such as 9999-12-31 or a mistyped year
like 2204 in one claim must neither move the dashboard to a day with no data nor overflow date
arithmetic. queries.freshness.fetch_freshness reads the warehouse under that bound; the sidebar's
caption, its default and the projection's T come from that one result.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import DateTime, bindparam, cast

# Events later than this after the latest order are not believed as activity (see the module docstring).
MAX_ACTIVITY_AFTER_LAST_ORDER = timedelta(days=365)
LATEST_BELIEVABLE = datetime(2100, 1, 1)  # the loader's range ends in 2099; date arithmetic stays far from 9999
# As-of dates a person may ask for (the command line, links): the loader's years, and the day after them.
EARLIEST_AS_OF, LATEST_AS_OF = date(1970, 1, 1), date(2100, 12, 31)


def activity_bound(latest_order_at: datetime | None) -> datetime:
    """The latest timestamp counted as activity: a year after the latest order, and never after 2100."""
    if latest_order_at is None or latest_order_at >= LATEST_BELIEVABLE - MAX_ACTIVITY_AFTER_LAST_ORDER:
        return LATEST_BELIEVABLE
    return latest_order_at + MAX_ACTIVITY_AFTER_LAST_ORDER


def default_as_of(latest_activity_at: datetime | None, today: date) -> date:
    """The day after the data's last event (`latest_activity_at`, already bounded), or `today` with no data."""
    if latest_activity_at is None:
        return today
    return min(latest_activity_at, LATEST_BELIEVABLE).date() + timedelta(days=1)


@dataclass(frozen=True)
class Windows:
    """W365 = [a365, as_of), W182 = [a182, as_of), W30 = [a30, as_of); as_of is midnight UTC."""

    as_of: datetime
    a365: datetime
    a182: datetime
    a30: datetime

    @classmethod
    def at(cls, as_of: date) -> "Windows":
        start = datetime.combine(as_of, time())
        return cls(
            as_of=start,
            a365=start - timedelta(days=365),
            a182=start - timedelta(days=182),
            a30=start - timedelta(days=30),
        )

    def params(self) -> dict[str, datetime]:
        return {"as_of": self.as_of, "a365": self.a365, "a182": self.a182, "a30": self.a30}


def midnight_after(latest: datetime | None) -> date | None:
    """The end of the data T: midnight UTC after the latest timestamp (None when there is none).

    A timestamp at midnight exactly is inside the day it opens, so 2026-10-31 00:00 gives 2026-11-01.
    """
    return None if latest is None else latest.date() + timedelta(days=1)


def ts_param(name: str):
    """A bound timestamp parameter, cast so every engine reads it as a TIMESTAMP."""
    return cast(bindparam(name, type_=DateTime), DateTime)

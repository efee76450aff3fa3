"""As-of dates and the metric windows of PRODUCT.md, computed in Python and bound as parameters."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import DateTime, bindparam, cast


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

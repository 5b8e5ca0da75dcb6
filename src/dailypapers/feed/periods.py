"""Day, ISO week and month periods, parsed from and written to the URL forms
``YYYY-MM-DD``, ``YYYY-Www`` and ``YYYY-MM``."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

# ASCII digits only: other scripts' would give a page whose address is not its own.
_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)
_WEEK = re.compile(r"(\d{4})-W(\d{2})", re.ASCII)
_MONTH = re.compile(r"(\d{4})-(\d{2})", re.ASCII)


# arXiv opened in 1991; the bounds keep date arithmetic (previous/next) far from overflow.
MIN_YEAR, MAX_YEAR = 1990, 2200


class BadPeriod(ValueError):
    """The URL text is not a valid day, week or month; the message says what was expected."""


@dataclass(frozen=True)
class Period:
    kind: str  # "date" | "week" | "month"
    start: dt.date
    end: dt.date

    @property
    def slug(self) -> str:
        if self.kind == "date":
            return self.start.isoformat()
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        return self.start.strftime("%Y-%m")

    @property
    def url(self) -> str:
        return f"/papers/{self.kind}/{self.slug}"

    @property
    def title(self) -> str:
        if self.kind == "date":
            return f"{self.start:%A}, {self.start.day} {self.start:%B %Y}"
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            span = f"{self.start.day} {self.start:%b} – {self.end.day} {self.end:%b}"
            return f"Week {week}, {year} ({span})"
        return f"{self.start:%B %Y}"

    def shifted(self, steps: int) -> Period:
        """The period ``steps`` days, weeks or months away."""
        if self.kind == "date":
            return day(self.start + dt.timedelta(days=steps))
        if self.kind == "week":
            return week_of(self.start + dt.timedelta(weeks=steps))
        index = self.start.year * 12 + self.start.month - 1 + steps
        return month_of(dt.date(index // 12, index % 12 + 1, 1))

    def containing(self, kind: str) -> Period:
        """The day, week or month that holds this period's start."""
        return {"date": day, "week": week_of, "month": month_of}[kind](self.start)


def day(d: dt.date) -> Period:
    return Period("date", d, d)


def week_of(d: dt.date) -> Period:
    monday = d - dt.timedelta(days=d.weekday())
    return Period("week", monday, monday + dt.timedelta(days=6))


def month_of(d: dt.date) -> Period:
    last = calendar.monthrange(d.year, d.month)[1]
    return Period("month", d.replace(day=1), d.replace(day=last))


def parse(kind: str, text: str) -> Period:
    """Parse the URL text of a period of ``kind``; BadPeriod with the expected form otherwise."""
    year = text[:4]
    try:
        if not (year.isascii() and year.isdigit() and MIN_YEAR <= int(year) <= MAX_YEAR):
            raise ValueError(year)
        if kind == "date" and (m := _DAY.fullmatch(text)):
            return day(dt.date(int(m[1]), int(m[2]), int(m[3])))
        if kind == "week" and (m := _WEEK.fullmatch(text)):
            return week_of(dt.date.fromisocalendar(int(m[1]), int(m[2]), 1))
        if kind == "month" and (m := _MONTH.fullmatch(text)):
            return month_of(dt.date(int(m[1]), int(m[2]), 1))
    except ValueError:
        pass
    expected = {"date": "YYYY-MM-DD", "week": "YYYY-Www (ISO week)", "month": "YYYY-MM"}[kind]
    raise BadPeriod(
        f"{text!r} is not a valid {kind}: expected {expected} between {MIN_YEAR} and {MAX_YEAR}."
    )

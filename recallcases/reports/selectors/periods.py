"""The months a regulator's report covers: a month in the site's time zone, parsed from "YYYY-MM",
and the months a recall's reports can be asked for."""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from recallcases.recalls.models import Recall


@dataclass(frozen=True)
class ReportMonth:
    """A calendar month of a report, in the site's time zone: [start, end)."""

    first_day: date

    @property
    def key(self) -> str:
        return f"{self.first_day:%Y-%m}"

    @property
    def start(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.first_day, time.min))

    @property
    def next_first_day(self) -> date:
        return (self.first_day + timedelta(days=31)).replace(day=1)

    @property
    def end(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.next_first_day, time.min))

    @property
    def last_day(self) -> date:
        return self.next_first_day - timedelta(days=1)

    def in_progress(self, *, now: datetime | None = None) -> bool:
        """Whether the month has not ended yet (its figures are up to now)."""
        return (now or timezone.now()) < self.end


def report_month(text: str, *, today: date | None = None) -> ReportMonth | None:
    """The month "YYYY-MM" names, or None when it names no month or one that has not begun."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", text or "")
    if not match or not 1 <= int(match[2]) <= 12 or int(match[1]) < 1900:
        return None
    month = ReportMonth(date(int(match[1]), int(match[2]), 1))
    if month.first_day > (today or timezone.localdate()):
        return None
    return month


def current_month(*, today: date | None = None) -> ReportMonth:
    """The month under way: the one a report defaults to."""
    return ReportMonth((today or timezone.localdate()).replace(day=1))


def report_months(recall: Recall, *, today: date | None = None) -> list[ReportMonth]:
    """The months a report can be asked for: the announcement's month to this one, newest first."""
    month = current_month(today=today)
    first = min(recall.announced_on.replace(day=1), month.first_day)
    months = [month]
    while months[-1].first_day > first:
        months.append(ReportMonth((months[-1].first_day - timedelta(days=1)).replace(day=1)))
    return months

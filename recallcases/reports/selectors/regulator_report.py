"""The shape of a regulator's monthly report, whoever asks for it: columns, figures (one line each,
a value per column and a note) and sections, as the page and the CSV lay them out."""

from dataclasses import dataclass
from datetime import datetime

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from recallcases.recalls.models import Recall
from recallcases.reports.selectors.figures import Rate
from recallcases.reports.selectors.periods import ReportMonth


@dataclass(frozen=True)
class Column:
    key: str
    label: str | Promise


# A figure's value: a count, a share, None where recallcases records nothing to count (shown as
# "not recorded"), or NOT_APPLICABLE where the column has no meaning for the figure.
NOT_APPLICABLE = ""
Value = int | Rate | str | None


@dataclass(frozen=True)
class Figure:
    """One line of a report: a stable key (CSV, tests), a label, one value per column, a note."""

    key: str
    label: str | Promise
    values: tuple[Value, ...]
    note: str | Promise = ""


@dataclass(frozen=True)
class Section:
    key: str
    title: str | Promise
    columns: tuple[Column, ...]
    figures: tuple[Figure, ...]
    # What the section's figures mean: a footnote on the page.
    definition: str | Promise = ""

    def figure(self, key: str) -> Figure:
        return next(figure for figure in self.figures if figure.key == key)


@dataclass(frozen=True)
class RegulatorReport:
    kind: str  # "cpsc" or "health-canada"
    recall: Recall
    month: ReportMonth
    generated_at: datetime
    # Every column of every section, in the order of the CSV.
    columns: tuple[Column, ...]
    sections: tuple[Section, ...]

    @property
    def in_progress(self) -> bool:
        return self.month.in_progress(now=self.generated_at)

    def section(self, key: str) -> Section:
        return next(section for section in self.sections if section.key == key)


# The note of a figure recallcases records nothing for (shown as 0, or as "not recorded").
NOT_RECORDED_NOTE = _("Not recorded in recallcases.")

"""A regulator's report as a CSV file: a header, then one formula-safe line per figure."""

import csv
from collections.abc import Iterator

from recallcases.core.csv_files import csv_cell
from recallcases.reports.selectors.regulator_report import RegulatorReport


class _Line:
    """A file-like object that hands back what csv.writer writes, one line at a time."""

    def write(self, text: str) -> str:
        return text


def report_csv(report: RegulatorReport) -> Iterator[str]:
    """The report's CSV lines: a header, then one line per figure, every cell formula-safe.

    Columns: section, figure (stable keys), label, one column per value, note. A value not
    recorded, or without meaning for its figure, is an empty cell; a share reads "0.40%".
    """
    writer = csv.writer(_Line())
    keys = [column.key for column in report.columns]
    yield writer.writerow(["section", "figure", "label", *keys, "note"])
    for section in report.sections:
        for figure in section.figures:
            by_column = {
                column.key: value
                for column, value in zip(section.columns, figure.values, strict=True)
            }
            cells = ["" if by_column.get(key) is None else by_column[key] for key in keys]
            yield writer.writerow(
                [
                    csv_cell(value)
                    for value in (section.key, figure.key, figure.label, *cells, figure.note)
                ]
            )

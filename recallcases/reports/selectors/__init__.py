"""Reading a recall's progress and what its regulators ask, at the moment a page asks; nothing here
writes.

- `periods`: the months a report covers.
- `figures`: what each figure means, counted by the database (the one definition every page reads).
- `dashboard`: the recall manager's dashboard, as it stands now.
- `regulator_report`: the shape of a regulator's monthly report (columns, figures, sections).
- `cpsc`, `health_canada`: each regulator's monthly report.

The CSV of a report is `recallcases.reports.exports`.
"""

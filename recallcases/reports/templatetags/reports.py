"""How a report's figures read on a page: counts grouped by thousands, shares in percent, and
"not recorded" where recallcases has nothing to count."""

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from recallcases.reports.selectors.figures import Rate
from recallcases.reports.selectors.regulator_report import NOT_APPLICABLE

register = template.Library()


@register.filter
def figure(value) -> str:
    """A figure as the page shows it, in the active language."""
    if value is None:
        return _("not recorded")
    if isinstance(value, Rate):
        if value.percent is None:
            return "–"
        return _("%(percent)s%%") % {"percent": number_format(value.percent, 2)}
    if value == NOT_APPLICABLE:
        return "–"
    return number_format(value, force_grouping=True)

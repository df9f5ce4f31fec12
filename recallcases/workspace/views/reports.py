"""Report pages: the recall manager's dashboard and the regulators' monthly reports (CPSC, Health
Canada), each as a printable page and as CSV.

Every page needs `reports.view_reports` (the Recall manager role). The figures come from
`recallcases.reports.selectors`, read when the page is asked for, and the CSV lines from
`recallcases.reports.exports`; the views only find the recall and the month, draw the charts and
render.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from recallcases.claims.services.codes import CODE_REMEDIES, pool_level
from recallcases.notices.selectors import claims_not_on_list_count
from recallcases.recalls.models import Recall
from recallcases.reports.charts import SUCCESS, Series, bar_chart, line_chart
from recallcases.reports.exports import report_csv
from recallcases.reports.selectors.cpsc import cpsc_report
from recallcases.reports.selectors.dashboard import (
    Dashboard,
    recall_dashboard,
    recalls_for_reports,
)
from recallcases.reports.selectors.health_canada import health_canada_report
from recallcases.reports.selectors.periods import (
    ReportMonth,
    current_month,
    report_month,
    report_months,
)
from recallcases.reports.selectors.regulator_report import RegulatorReport
from recallcases.workspace.permissions import staff_view

VIEW = "reports.view_reports"


@dataclass(frozen=True)
class Regulator:
    """A regulator's monthly report: how its page names it, what builds it, where it lives."""

    title: Promise
    build: Callable[..., RegulatorReport]
    page: str
    csv: str
    # The key of the recall's reference with this regulator (Recall.regulator_references).
    reference: str
    # The start of the CSV file's name.
    file: str


CPSC = Regulator(
    gettext_lazy("CPSC monthly progress report"),
    cpsc_report,
    "workspace:report_cpsc",
    "workspace:report_cpsc_csv",
    "CPSC",
    "cpsc",
)
HEALTH_CANADA = Regulator(
    gettext_lazy("Health Canada recall effectiveness report"),
    health_canada_report,
    "workspace:report_health_canada",
    "workspace:report_health_canada_csv",
    "Health Canada",
    "health-canada",
)


def _recall(slug: str) -> Recall:
    return get_object_or_404(Recall, slug=slug)


def _month(text: str) -> ReportMonth:
    month = report_month(text)
    if month is None:
        raise Http404
    return month


@staff_view(VIEW)
@require_safe
def reports_index(request):
    return render(
        request,
        "workspace/report_index.html",
        {"recalls": recalls_for_reports(), "month": current_month()},
    )


def _percent(value: float) -> str:
    return f"{value:.2f}%"


def _dashboard_charts(dashboard: Dashboard) -> dict:
    """The dashboard's charts, drawn from its figures."""
    statuses = [row for row in dashboard.by_status if row.claims] or dashboard.by_status
    products = dashboard.by_product
    countries = dashboard.by_country
    weekly = dashboard.weekly
    return {
        "status_chart": bar_chart(
            chart_id="chart-status",
            title=_("Claims by status"),
            description="; ".join(f"{row.label}: {row.claims}" for row in statuses),
            categories=[str(row.label) for row in statuses],
            series=[Series(_("Claims"), [row.claims for row in statuses])],
        ),
        "product_chart": bar_chart(
            chart_id="chart-product",
            title=_("Claims and units remedied by product"),
            description="; ".join(
                _("%(product)s: %(claims)s claims, %(remedied)s remedied")
                % {"product": row.product, "claims": row.claims, "remedied": row.remedied}
                for row in products
            ),
            categories=[str(row.product) for row in products],
            series=[
                Series(_("Claims"), [row.claims for row in products]),
                Series(_("Remedied"), [row.remedied for row in products], SUCCESS),
            ],
        ),
        "country_chart": bar_chart(
            chart_id="chart-country",
            title=_("Correction rate by country"),
            description="; ".join(
                f"{row.label}: {_percent(row.correction_rate.percent or 0)}" for row in countries
            ),
            categories=[str(row.label) for row in countries],
            series=[
                Series(
                    _("Correction rate"),
                    [row.correction_rate.percent or 0 for row in countries],
                    SUCCESS,
                )
            ],
            value_format=_percent,
        ),
        "weekly_chart": line_chart(
            chart_id="chart-weekly",
            title=_("Correction rate week by week"),
            description=_(
                "Cumulative correction rate at the end of each ISO week, from %(first)s "
                "(%(first_rate)s) to %(last)s (%(last_rate)s)."
            )
            % {
                "first": weekly[0].label,
                "first_rate": _percent(weekly[0].rate.percent or 0),
                "last": weekly[-1].label,
                "last_rate": _percent(weekly[-1].rate.percent or 0),
            },
            points=[(point.label, point.rate.percent or 0) for point in weekly],
            value_format=_percent,
        ),
    }


@staff_view(VIEW)
@require_safe
def report_dashboard(request, slug):
    recall = _recall(slug)
    dashboard = recall_dashboard(recall=recall)
    return render(
        request,
        "workspace/report_dashboard.html",
        {
            "recall": recall,
            "dashboard": dashboard,
            # Owners not on the purchaser list (gifts, second-hand) are counted apart.
            "claims_not_on_list": claims_not_on_list_count(recall),
            "months": report_months(recall),
            # Pools of gift card or voucher codes at or under their warning level.
            "low_pools": [
                (offer, level)
                for offer in recall.remedy_offers
                if offer.remedy in CODE_REMEDIES
                and (level := pool_level(recall=recall, remedy=offer.remedy)).is_low
            ],
            **_dashboard_charts(dashboard),
        },
    )


def _report(slug: str, month: str, regulator: Regulator) -> RegulatorReport:
    return regulator.build(recall=_recall(slug), month=_month(month))


def _report_page(request, slug: str, month: str, regulator: Regulator):
    report = _report(slug, month, regulator)
    return render(
        request,
        "workspace/report_regulator.html",
        {
            "report": report,
            "recall": report.recall,
            "regulator": regulator,
            "months": report_months(report.recall),
            "reference": (report.recall.regulator_references or {}).get(regulator.reference, ""),
        },
    )


def _report_download(slug: str, month: str, regulator: Regulator):
    report = _report(slug, month, regulator)
    response = HttpResponse("".join(report_csv(report)), content_type="text/csv; charset=utf-8")
    filename = f"{regulator.file}-{report.recall.slug}-{report.month.key}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store, private"
    return response


@staff_view(VIEW)
@require_safe
def report_cpsc(request, slug, month):
    return _report_page(request, slug, month, CPSC)


@staff_view(VIEW)
@require_safe
def report_cpsc_csv(request, slug, month):
    return _report_download(slug, month, CPSC)


@staff_view(VIEW)
@require_safe
def report_health_canada(request, slug, month):
    return _report_page(request, slug, month, HEALTH_CANADA)


@staff_view(VIEW)
@require_safe
def report_health_canada_csv(request, slug, month):
    return _report_download(slug, month, HEALTH_CANADA)

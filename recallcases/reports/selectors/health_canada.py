"""Health Canada's monthly recall effectiveness report of a recall: units affected, remedied and
disposed of, notification measures and incidents with Health Canada's clocks, in Canada and in
every country."""

from datetime import UTC, datetime

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from recallcases.recalls.models import Country, Recall, Remedy
from recallcases.reports.selectors.figures import (
    Rate,
    canada_and_all,
    claim_counts,
    incident_counts,
    notice_counts,
    purchaser_counts,
    shipment_counts,
)
from recallcases.reports.selectors.periods import ReportMonth
from recallcases.reports.selectors.regulator_report import (
    NOT_APPLICABLE,
    Column,
    Figure,
    RegulatorReport,
    Section,
)

HC_CANADA_PERIOD = Column("canada_this_period", _("Canada, this period"))
HC_CANADA_CUMULATIVE = Column("canada_cumulative", _("Canada, cumulative"))
HC_ALL_PERIOD = Column("all_this_period", _("All countries, this period"))
HC_ALL_CUMULATIVE = Column("all_cumulative", _("All countries, cumulative"))
HC_COLUMNS = (HC_CANADA_PERIOD, HC_CANADA_CUMULATIVE, HC_ALL_PERIOD, HC_ALL_CUMULATIVE)


def recall_page_urls(recall: Recall) -> list[str]:
    """The public addresses of the recall's page, in each language."""
    urls = []
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            urls.append(settings.SITE_URL + reverse("consumer:recall", args=[recall.slug]))
    return urls


def health_canada_report(
    *, recall: Recall, month: ReportMonth, now: datetime | None = None
) -> RegulatorReport:
    """Health Canada's view of `recall` for `month`, in Canada and in all countries: five queries.

    Recall effectiveness counts units returned, exchanged or refunded. Lithium-ion units are not
    shipped back: none is returned, and disposals confirmed are shown instead. Exchanged and
    refunded units are claims with a shipment of that remedy. Incidents in Canada are those whose
    reporter lives there; Health Canada's clocks (told within 2 days, written report within 10)
    are shown as they stand when the report is made.
    """
    now = now or timezone.now()
    claims = claim_counts(recall=recall, month=month)
    shipments = shipment_counts(recall=recall, month=month)
    incidents = incident_counts(recall=recall, month=month, now=now)
    notices = notice_counts(recall=recall, month=month)
    purchasers = purchaser_counts(recall=recall, month=month)
    canada_units, all_units = recall.units_affected_canada, recall.units_affected
    remedied = canada_and_all(claims, "remedied")

    other_remedies = [Remedy.GIFT_CARD, Remedy.VOUCHER]
    other = tuple(
        sum(values)
        for values in zip(
            *(canada_and_all(shipments, remedy) for remedy in other_remedies), strict=True
        )
    )
    units = Section(
        "units",
        _("Recall effectiveness"),
        HC_COLUMNS,
        (
            Figure(
                "affected",
                _("Units affected"),
                (NOT_APPLICABLE, canada_units, NOT_APPLICABLE, all_units),
            ),
            Figure(
                "returned",
                _("Units returned"),
                (0, 0, 0, 0),
                _("Lithium-ion units are not shipped back: consumers dispose of them (below)."),
            ),
            Figure(
                "exchanged",
                _("Units exchanged (replacement)"),
                canada_and_all(shipments, "replacement"),
            ),
            Figure("refunded", _("Units refunded"), canada_and_all(shipments, "refund")),
            Figure("other_remedy", _("Units remedied with a gift card or voucher"), other),
            Figure("corrected", _("Units corrected (remedy shipped)"), remedied),
            # Where the consumer chooses among remedies, the units corrected by each.
            *(
                Figure(
                    f"corrected_{offer.remedy}",
                    _("Corrected by remedy: %(remedy)s")
                    % {"remedy": offer.label_en or offer.label},
                    canada_and_all(claims, f"remedied_{offer.remedy}"),
                )
                for offer in (recall.remedy_offers if len(recall.remedy_offers) > 1 else [])
            ),
            Figure(
                "disposals_confirmed",
                _("Units disposed of (disposal confirmed)"),
                canada_and_all(claims, "disposals"),
            ),
            Figure(
                "effectiveness",
                _("Effectiveness (corrected ÷ affected)"),
                (
                    Rate(remedied[0], canada_units),
                    Rate(remedied[1], canada_units),
                    Rate(remedied[2], all_units),
                    Rate(remedied[3], all_units),
                ),
            ),
        ),
        _(
            "Canada: claims from consumers in Canada. Exchanged, refunded: claims with a shipment "
            "of that remedy recorded. Corrected: claims whose remedy shipped, dated by the first "
            "“replacement shipped” step or shipment."
        ),
    )

    notified = canada_and_all(notices, "notified")
    notification = Section(
        "notification",
        _("Notification measures"),
        HC_COLUMNS,
        (
            Figure(
                "purchasers_on_list",
                _("Known purchasers on the list"),
                (NOT_APPLICABLE, purchasers["canada"], NOT_APPLICABLE, purchasers["all"]),
            ),
            Figure("direct_notices", _("Purchasers sent a direct notice by email"), notified),
            Figure(
                "recall_page",
                _("Recall page on the web (English and French)"),
                (None, None, None, None),
                _("Published at %(urls)s since %(announced)s; visits are not recorded.")
                % {
                    "urls": ", ".join(recall_page_urls(recall)),
                    "announced": recall.announced_on.isoformat(),
                },
            ),
        ),
        _(
            "Direct notices: distinct known purchasers to whom the recall notice or a reminder "
            "was sent; Canada: purchasers with a Canadian address."
        ),
    )

    clock_note = (
        ""
        if recall.countries and Country.CA in recall.countries
        else _("Health Canada's clocks do not apply: the recall was not sold in Canada.")
    )
    incident_section = Section(
        "incidents",
        _("Incidents"),
        HC_COLUMNS,
        (
            Figure("incidents", _("Incidents reported"), canada_and_all(incidents, "incidents")),
            Figure(
                "injuries", _("Incidents with an injury"), canada_and_all(incidents, "injuries")
            ),
            Figure("fires", _("Incidents with a fire"), canada_and_all(incidents, "fires")),
            Figure(
                "notice_on_time",
                _("Health Canada told within 2 days"),
                canada_and_all(incidents, "notice_on_time"),
                clock_note,
            ),
            Figure(
                "notice_late",
                _("Health Canada told, late"),
                canada_and_all(incidents, "notice_late"),
                clock_note,
            ),
            Figure(
                "notice_open",
                _("Health Canada not told yet, within 2 days"),
                canada_and_all(incidents, "notice_open"),
                clock_note,
            ),
            Figure(
                "notice_overdue",
                _("Health Canada not told, 2 days passed"),
                canada_and_all(incidents, "notice_overdue"),
                clock_note,
            ),
            Figure(
                "report_on_time",
                _("Written report filed within 10 days"),
                canada_and_all(incidents, "report_on_time"),
                clock_note,
            ),
            Figure(
                "report_late",
                _("Written report filed, late"),
                canada_and_all(incidents, "report_late"),
                clock_note,
            ),
            Figure(
                "report_open",
                _("Written report not filed yet, within 10 days"),
                canada_and_all(incidents, "report_open"),
                clock_note,
            ),
            Figure(
                "report_overdue",
                _("Written report not filed, 10 days passed"),
                canada_and_all(incidents, "report_overdue"),
                clock_note,
            ),
        ),
        _(
            "Incidents dated by when the firm learned of them; Canada: reported by someone in "
            "Canada (Health Canada counts incidents abroad too: see all countries). Clocks as they "
            "stand at %(now)s UTC."
        )
        % {"now": f"{now.astimezone(UTC):%Y-%m-%d %H:%M}"},
    )
    return RegulatorReport(
        kind="health-canada",
        recall=recall,
        month=month,
        generated_at=now,
        columns=HC_COLUMNS,
        sections=(units, notification, incident_section),
    )

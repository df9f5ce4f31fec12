"""The CPSC monthly progress report of a recall: units affected and corrected, incidents, consumers
notified and consumers who contacted the firm, in the month and cumulative."""

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from recallcases.recalls.models import Recall
from recallcases.reports.selectors.figures import (
    ALL,
    Rate,
    call_counts,
    claim_counts,
    incident_counts,
    notice_counts,
    period_and_cumulative,
)
from recallcases.reports.selectors.periods import ReportMonth
from recallcases.reports.selectors.regulator_report import (
    NOT_APPLICABLE,
    NOT_RECORDED_NOTE,
    Column,
    Figure,
    RegulatorReport,
    Section,
)

CPSC_AFFECTED = Column("total_affected", _("Units affected"))
CPSC_PERIOD = Column("this_period", _("This period"))
CPSC_CUMULATIVE = Column("cumulative", _("Cumulative"))
CPSC_CORRECTED_PERIOD = Column("this_period", _("Corrected this period"))
CPSC_CORRECTED_CUMULATIVE = Column("cumulative", _("Corrected, cumulative"))


def cpsc_report(
    *, recall: Recall, month: ReportMonth, now: datetime | None = None
) -> RegulatorReport:
    """The CPSC monthly progress report of `recall` for `month`: three queries.

    "This period" is the month; "cumulative" is everything up to the month's end (up to now while
    the month runs). Where recallcases records nothing (units at the manufacturer, distributors
    and retailers; deaths; notices by phone or mail), the figure is 0 with a note saying so;
    where a number would have to be invented (contacts by email, recall page visits),
    it is left empty as "not recorded".
    """
    now = now or timezone.now()
    claims = claim_counts(recall=recall, month=month)
    incidents = incident_counts(recall=recall, month=month, now=now)
    notices = notice_counts(recall=recall, month=month)
    calls = call_counts(recall=recall, month=month)
    corrected = period_and_cumulative(claims, ALL, "remedied")
    affected = recall.units_affected

    def zero(key, label):
        return Figure(key, label, (0, 0, 0), NOT_RECORDED_NOTE)

    units = Section(
        "units",
        _("Units affected and corrected, by where they are"),
        (CPSC_AFFECTED, CPSC_CORRECTED_PERIOD, CPSC_CORRECTED_CUMULATIVE),
        (
            zero("manufacturer", _("At the manufacturer")),
            zero("distributors", _("At distributors")),
            zero("retailers", _("At retailers")),
            Figure("consumers", _("With consumers"), (affected, *corrected)),
            Figure("total", _("Total"), (affected, *corrected)),
            Figure(
                "correction_rate",
                _("Correction rate (corrected ÷ affected)"),
                (NOT_APPLICABLE, Rate(corrected[0], affected), Rate(corrected[1], affected)),
            ),
            # Where the consumer chooses among remedies, the units corrected by each.
            *(
                Figure(
                    f"corrected_{offer.remedy}",
                    _("Corrected by remedy: %(remedy)s")
                    % {"remedy": offer.label_en or offer.label},
                    (
                        NOT_APPLICABLE,
                        *period_and_cumulative(claims, ALL, f"remedied_{offer.remedy}"),
                    ),
                )
                for offer in (recall.remedy_offers if len(recall.remedy_offers) > 1 else [])
            ),
        ),
        _(
            "Corrected: units whose remedy shipped (a “replacement shipped” step or a recorded "
            "shipment), dated by the first. Every unit affected is counted with consumers: "
            "recallcases does not track stock at the manufacturer, distributors or retailers."
        ),
    )

    def incident_figure(key, label, note=""):
        return Figure(key, label, period_and_cumulative(incidents, ALL, key), note)

    incident_section = Section(
        "incidents",
        _("Incidents, injuries and deaths"),
        (CPSC_PERIOD, CPSC_CUMULATIVE),
        (
            incident_figure("incidents", _("Incidents")),
            incident_figure("incidents_before", _("Incidents before the recall")),
            incident_figure("incidents_after", _("Incidents after the recall")),
            incident_figure("incidents_unknown", _("Incidents, date not known")),
            incident_figure("injuries", _("Injuries")),
            incident_figure("injuries_before", _("Injuries before the recall")),
            incident_figure("injuries_after", _("Injuries after the recall")),
            incident_figure("injuries_unknown", _("Injuries, date not known")),
            Figure(
                "deaths",
                _("Deaths"),
                (0, 0),
                _("Not recorded: incident reports have no field for a death."),
            ),
            incident_figure("fires", _("Incidents with a fire")),
        ),
        _(
            "Incidents reported to the firm, dated by when it learned of them; before or after "
            "the recall's announcement (%(announced)s) by the date it happened, or as the consumer "
            "told it when no date was given. Injuries: incidents with an injury."
        )
        % {"announced": recall.announced_on.isoformat()},
    )

    notified = period_and_cumulative(notices, ALL, "notified")
    notified_section = Section(
        "notified",
        _("Consumers notified"),
        (CPSC_PERIOD, CPSC_CUMULATIVE),
        (
            Figure("phone", _("By phone"), (0, 0), NOT_RECORDED_NOTE),
            Figure("email", _("By email"), notified),
            Figure("mail", _("By mail"), (0, 0), NOT_RECORDED_NOTE),
        ),
        _("By email: distinct known purchasers to whom the recall notice or a reminder was sent."),
    )

    contacted = Section(
        "contacted",
        _("Consumers who contacted the firm"),
        (CPSC_PERIOD, CPSC_CUMULATIVE),
        (
            Figure(
                "web_claims",
                _("Claims filed on the web"),
                period_and_cumulative(claims, ALL, "filed_web"),
            ),
            Figure(
                "web_incident_reports",
                _("Incident reports on the web"),
                period_and_cumulative(incidents, ALL, "incidents"),
            ),
            Figure(
                "phone",
                _("By phone"),
                period_and_cumulative(calls, ALL, "calls"),
                _("Calls logged by call-centre agents, claims filed by phone included."),
            ),
            Figure("email", _("By email"), (None, None), NOT_RECORDED_NOTE),
        ),
        _("Claims filed (whatever became of them) and incident reports, as recallcases took them."),
    )

    visits = Section(
        "visits",
        _("Recall page visits"),
        (CPSC_PERIOD, CPSC_CUMULATIVE),
        (
            Figure(
                "recall_page",
                _("Visits to the recall page"),
                (None, None),
                _("Not recorded: recallcases keeps no page analytics."),
            ),
        ),
    )
    return RegulatorReport(
        kind="cpsc",
        recall=recall,
        month=month,
        generated_at=now,
        columns=(CPSC_AFFECTED, CPSC_PERIOD, CPSC_CUMULATIVE),
        sections=(units, incident_section, notified_section, contacted, visits),
    )

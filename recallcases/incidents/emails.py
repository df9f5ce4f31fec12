"""The urgent incident alert to a recall's safety contact, as the outbox sends it.

Privacy by default: the email says what happened, when, and by when the regulators must hear of
it, and links to the staff page; who reported it, how to reach them and their own words stay
behind the workspace's sign-in.
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from recallcases.incidents.models import Incident
from recallcases.notifications.emails import verification_context
from recallcases.notifications.models import OutboundEmail

# Safety contacts are company staff: the alert is in English, whatever the consumer's language.
ALERT_LANGUAGE = "en"


def compose_incident_alert(email: OutboundEmail) -> EmailMultiAlternatives:
    """The alert for the incident in `email.context`, rendered now (its registered composer)."""
    incident = Incident.objects.select_related("recall").get(pk=email.context["incident"])
    with translation.override(ALERT_LANGUAGE):
        staff_url = settings.SITE_URL + reverse(
            "workspace:incident", kwargs={"incident_reference": incident.reference}
        )
        kinds = ", ".join(incident.kind_labels)
        subject = _("Urgent incident %(reference)s: %(kinds)s") % {
            "reference": incident.reference,
            "kinds": kinds.lower(),
        }
        text = render_to_string(
            "emails/incident_alert.txt",
            {
                "incident": incident,
                "recall": incident.recall,
                "kinds": kinds,
                "clocks": incident.health_canada_clocks,
                "staff_url": staff_url,
                **verification_context(email),
            },
        )
    return EmailMultiAlternatives(
        subject=subject,
        body=text,
        to=[email.recipient],
    )

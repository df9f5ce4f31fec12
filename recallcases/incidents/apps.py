from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "recallcases.incidents"

    def ready(self):
        # The outbox sends our urgent alerts; notifications knows no incident, so we tell it how
        # to write ours.
        from recallcases.incidents.emails import compose_incident_alert
        from recallcases.incidents.models import Incident
        from recallcases.notifications.emails import email_kind_register
        from recallcases.notifications.models import EmailKind
        from recallcases.notifications.retention import RECALL_SOURCES, recall_from_context

        email_kind_register(
            kind=EmailKind.INCIDENT_ALERT,
            label=EmailKind.INCIDENT_ALERT.label,
            composer=compose_incident_alert,
        )
        # An alert's recall, for the outbox's retention schedule: its incident's.
        RECALL_SOURCES.append(recall_from_context(key="incident", model=Incident))

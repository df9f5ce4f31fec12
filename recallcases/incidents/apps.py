from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "recallcases.incidents"

    def ready(self):
        # The outbox sends our urgent alerts; notifications knows no incident, so we tell it how
        # to write ours.
        from recallcases.incidents.emails import compose_incident_alert
        from recallcases.incidents.models import Incident
        from recallcases.notifications.emails import COMPOSERS
        from recallcases.notifications.models import EmailKind
        from recallcases.notifications.retention import CONTEXT_RECALLS

        COMPOSERS[EmailKind.INCIDENT_ALERT] = compose_incident_alert
        # An alert's recall, for the outbox's retention schedule: its incident's.
        CONTEXT_RECALLS["incident"] = Incident

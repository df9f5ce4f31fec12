from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "recallcases.incidents"

    def ready(self):
        # The outbox sends our urgent alerts; notifications knows no incident, so we tell it how
        # to write ours.
        from recallcases.incidents.emails import compose_incident_alert
        from recallcases.notifications.emails import email_kind_register
        from recallcases.notifications.models import EmailKind

        email_kind_register(
            kind=EmailKind.INCIDENT_ALERT,
            label=EmailKind.INCIDENT_ALERT.label,
            composer=compose_incident_alert,
        )

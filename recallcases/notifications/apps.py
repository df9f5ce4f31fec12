from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "recallcases.notifications"

    def ready(self):
        # Every step of a claim writes its email in the same transaction as the step itself.
        from recallcases.claims.transitions import EVENT_LISTENERS

        # Registers the outbox's tasks, which services publish by name.
        from recallcases.notifications import tasks  # noqa: F401
        from recallcases.notifications.services import outbox_write_for_event

        if outbox_write_for_event not in EVENT_LISTENERS:
            EVENT_LISTENERS.append(outbox_write_for_event)

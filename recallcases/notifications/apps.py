from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "recallcases.notifications"

    def ready(self):
        # Every step of a claim writes its email in the same transaction as the step itself.
        from recallcases.claims.services.codes import POOL_LISTENERS
        from recallcases.claims.transitions import EVENT_LISTENERS

        # Registers the outbox's tasks, which services publish by name.
        from recallcases.notifications import tasks  # noqa: F401
        from recallcases.notifications.services import code_pool_warn, outbox_write_for_event

        if outbox_write_for_event not in EVENT_LISTENERS:
            EVENT_LISTENERS.append(outbox_write_for_event)
        # A pool of gift card codes running low warns the recall's managers, in its transaction.
        if code_pool_warn not in POOL_LISTENERS:
            POOL_LISTENERS.append(code_pool_warn)

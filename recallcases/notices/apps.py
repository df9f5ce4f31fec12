from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "recallcases.notices"
    verbose_name = "Direct notice"

    def ready(self):
        # The outbox sends notices like any email; notifications does not import this app.
        from recallcases.notices.emails import compose_notice
        from recallcases.notices.models import Purchaser
        from recallcases.notifications.emails import COMPOSERS
        from recallcases.notifications.models import EmailKind
        from recallcases.notifications.retention import CONTEXT_RECALLS

        COMPOSERS[EmailKind.RECALL_NOTICE] = compose_notice
        COMPOSERS[EmailKind.NOTICE_REMINDER] = compose_notice
        # A notice's recall, for the outbox's retention schedule: its purchaser's.
        CONTEXT_RECALLS["purchaser"] = Purchaser

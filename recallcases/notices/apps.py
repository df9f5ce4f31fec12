from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "recallcases.notices"
    verbose_name = "Direct notice"

    def ready(self):
        # The outbox sends notices like any email; notifications does not import this app.
        from recallcases.notices.emails import compose_notice
        from recallcases.notifications.emails import COMPOSERS
        from recallcases.notifications.models import EmailKind

        COMPOSERS[EmailKind.RECALL_NOTICE] = compose_notice
        COMPOSERS[EmailKind.NOTICE_REMINDER] = compose_notice

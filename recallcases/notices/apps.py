from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "recallcases.notices"
    verbose_name = "Direct notice"

    def ready(self):
        # The outbox sends notices like any email; notifications does not import this app.
        from recallcases.notices.emails import compose_notice
        from recallcases.notifications.emails import email_kind_register
        from recallcases.notifications.models import EmailKind

        for kind in (EmailKind.RECALL_NOTICE, EmailKind.NOTICE_REMINDER):
            email_kind_register(kind=kind, label=kind.label, composer=compose_notice)

from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "recallcases.notices"
    verbose_name = "Direct notice"

    def ready(self):
        # The outbox sends notices like any email; notifications does not import this app.
        from django.db.models import OuterRef, Subquery

        from recallcases.notices.emails import compose_notice, compose_notices
        from recallcases.notices.models import NoticeEmail
        from recallcases.notifications.emails import email_kind_register
        from recallcases.notifications.models import EmailKind
        from recallcases.notifications.retention import RECALL_SOURCES

        for kind in (EmailKind.RECALL_NOTICE, EmailKind.NOTICE_REMINDER):
            email_kind_register(
                kind=kind,
                label=kind.label,
                composer=compose_notice,
                batch_composer=compose_notices,
            )
        # A notice's recall, for the outbox's retention schedule: its purchaser's.
        RECALL_SOURCES.append(
            lambda emails: (
                emails,
                Subquery(
                    NoticeEmail.objects.filter(email_id=OuterRef("pk")).values(
                        "purchaser__recall_id"
                    )[:1]
                ),
            )
        )

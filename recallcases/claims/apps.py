from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    name = "recallcases.claims"

    def ready(self):
        # A gift card or voucher claim that reaches fulfilment is issued its code after commit.
        from recallcases.claims import tasks  # noqa: F401 - registers the task published by name
        from recallcases.claims.services.codes import code_issue_after_event
        from recallcases.claims.transitions import EVENT_LISTENERS

        if code_issue_after_event not in EVENT_LISTENERS:
            EVENT_LISTENERS.append(code_issue_after_event)

from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    name = "recallcases.workspace"

    def ready(self):
        # Connects the sign-in receiver that starts a staff session's idle clock.
        from recallcases.workspace import middleware  # noqa: F401

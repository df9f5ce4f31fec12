from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    name = "recallcases.workspace"

from django.apps import AppConfig


class RecallsConfig(AppConfig):
    name = "recallcases.recalls"

from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "recallcases.reports"
    verbose_name = "Reports"

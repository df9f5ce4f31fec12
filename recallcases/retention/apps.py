from django.apps import AppConfig


class RetentionConfig(AppConfig):
    name = "recallcases.retention"
    verbose_name = "Retention schedule"

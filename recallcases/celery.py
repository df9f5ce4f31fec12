"""The Celery application. Its settings are the CELERY_* names in recallcases.settings."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recallcases.settings")

app = Celery("recallcases")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

"""WSGI entry point, served in production by gunicorn (see gunicorn.conf.py)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recallcases.settings")

application = get_wsgi_application()

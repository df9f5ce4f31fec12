"""ASGI entry point (unused by default; gunicorn serves the WSGI application)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recallcases.settings")

application = get_asgi_application()

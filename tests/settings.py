"""Test settings: the project's settings module, with the environment a test run needs.

Only environment defaults are set here (a real DATABASE_URL or REDIS_URL still wins), so the
tests run the same code paths as production.
"""

import os
import tempfile
from urllib.parse import urlsplit, urlunsplit

os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-" + "x" * 40)
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("STATIC_MANIFEST", "false")
os.environ.setdefault("PRIVATE_MEDIA_ROOT", tempfile.mkdtemp(prefix="recallcases-test-media-"))
# Production requires both; the tests' links point at the development server's address.
os.environ.setdefault("SITE_URL", "http://127.0.0.1:8000")
# A developer's machine without Redis runs the tests on local memory (CI sets REDIS_URL).
os.environ.setdefault("RATELIMIT_ALLOW_LOCAL_MEMORY", "true")

if os.environ.get("REDIS_URL"):
    # Tests empty their cache between tests: give them a Redis database of their own.
    _redis = urlsplit(os.environ["REDIS_URL"])
    os.environ["REDIS_URL"] = urlunsplit(
        _redis._replace(path="/" + os.environ.get("REDIS_TEST_DB", "15"))
    )

from recallcases.settings import *  # noqa: F403

# Hashing demo passwords at full strength only slows the tests down.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Serve static files from the app folders, as in development: tests run no collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# Tasks run in-process in tests; the delivery tests that need a real worker and Redis set their
# own broker (tests/notifications).
CELERY_BROKER_URL = "memory://"
CELERY_TASK_ALWAYS_EAGER = True

# Status texts are kept in memory (sms.outbox), as Django's locmem keeps emails.
SMS_BACKEND = "sms.backends.locmem.SmsBackend"
DEFAULT_FROM_SMS = "+15145550000"
TEXTS_INBOUND_SECRET = "tests-only-texts-secret"

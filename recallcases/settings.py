"""Settings for recallcases, read from the environment (see .env.example).

One module for every environment: production-only behaviour is switched by environment variables.
With nothing configured except DEBUG=true (what `make run` sets) the site runs on SQLite with
in-process tasks; with DEBUG off it refuses to start without SECRET_KEY, ALLOWED_HOSTS, SITE_URL
and REDIS_URL (or RATELIMIT_ALLOW_LOCAL_MEMORY=true).
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from recallcases.core.log_filters import redacting_logging_config
from recallcases.core.photo_pipeline import MAX_PHOTOS_PER_FORM, MAX_UPLOAD_BYTES

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A local .env file is a convenience for development; real deployments set the environment.
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "development-only-insecure-key-never-use-in-production-0123456789"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off.")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# The public address of the site, used to build links in emails and on printed pages. Production
# must say it: a default would send consumers links to 127.0.0.1.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000" if DEBUG else "").rstrip("/")
if not SITE_URL:
    raise ImproperlyConfigured("SITE_URL must be set when DEBUG is off.")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    # Locks out a username from an address after repeated wrong passwords (staff and admin sign-in).
    "axes",
    # Second factor for staff: one-time codes from an authenticator app (TOTP).
    "django_otp",
    "django_otp.plugins.otp_totp",
    # Who did what, when, before and after: every staff action leaves an append-only row.
    "recallcases.audit",
    "recallcases.recalls",
    "recallcases.claims",
    "recallcases.consumer",
    "recallcases.workspace",
    "recallcases.notifications",
    # Direct notice: known purchasers, their recall notices and reminders, unsubscribing.
    "recallcases.notices",
    "recallcases.incidents",
    "recallcases.reports",
    # The retention schedule: runs every app's retention service (docs/retention.md).
    "recallcases.retention",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Before anything that could read the body (only the two above come first, so that the 413
    # page carries their headers): a body larger than the request may send is refused unread.
    "recallcases.core.request_body.RequestBodyLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Tells whether the signed-in user passed the second factor (request.user.is_verified()).
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A recall's page in a language the recall is not offered in redirects to one it is.
    "recallcases.consumer.middleware.RecallLanguageMiddleware",
    # Signs staff out after STAFF_IDLE_MINUTES without a request (needs the user and messages).
    "recallcases.workspace.middleware.StaffIdleTimeoutMiddleware",
    "recallcases.workspace.middleware.StaffClearanceMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: turns a locked-out sign-in into the lockout page (HTTP 429).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "recallcases.urls"
WSGI_APPLICATION = "recallcases.wsgi.application"
ASGI_APPLICATION = "recallcases.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "recallcases.consumer.context_processors.language_links",
                "recallcases.workspace.context_processors.staff_policy",
            ],
        },
    },
]

# Database: SQLite by default; DATABASE_URL (e.g. postgres://user@host:5432/recallcases) otherwise.
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}")
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # PostgreSQL's JIT compiles the reports' aggregate queries for ~0.5 s each time and wins
    # nothing on a web workload's short queries (bench: CPSC report 1.06 s with it, 0.62 s without).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # Many requests write at once (a claim form is a write); wait for the lock instead of failing.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis: the cache (rate limits) and the Celery broker. Without it, a local-memory cache and
# in-process tasks, which suit one development server only.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                # Fail fast when Redis is away instead of hanging a consumer's request.
                "SOCKET_CONNECT_TIMEOUT": 2,
                "SOCKET_TIMEOUT": 2,
                # A cache outage must not take the site down: rate limits fail open, logged.
                "IGNORE_EXCEPTIONS": True,
            },
        }
    }
    # An outage is logged as one line (the first failure after a quiet minute), not a traceback
    # per cache call: see the logger's filter in LOGGING below.
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
    DJANGO_REDIS_LOGGER = "recallcases.cache"
else:
    # Local memory is per process: right for `make run`, wrong for several servers, where each
    # process would count on its own (a client gets the limit once per process). Production says
    # so explicitly or refuses to start.
    if not DEBUG and not env.bool("RATELIMIT_ALLOW_LOCAL_MEMORY", default=False):
        raise ImproperlyConfigured(
            "REDIS_URL must be set when DEBUG is off: rate limits are shared through Redis. "
            "(One process only? Set RATELIMIT_ALLOW_LOCAL_MEMORY=true.)"
        )
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery: Redis as broker when configured; otherwise tasks run in-process, at once. See
# docs/adr/0005-email-outbox.md for why each of these is set as it is.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL.startswith(("redis://", "rediss://"))
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_TASK_IGNORE_RESULT = True
# A task is acknowledged when it has run, not when it was received: a worker killed mid-task
# leaves it to be delivered again (tasks are idempotent: the outbox row decides).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A stuck send is killed; SMTP has its own 10 s timeout well inside these.
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_TIME_LIMIT = 90
# Redis redelivers an unacknowledged task after the visibility timeout; no countdown may be longer.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3600,
    # Publishing must fail fast when Redis is away, never wait forever: the row stays pending.
    "socket_connect_timeout": 3,
    "socket_timeout": 5,
    "retry_on_timeout": False,
    "max_retries": 1,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BEAT_SCHEDULE = {
    "outbox-sweep": {"task": "recallcases.notifications.tasks.outbox_sweep", "schedule": 30.0},
    "reminders": {"task": "recallcases.notifications.tasks.reminders_send", "schedule": 3600.0},
    # Direct notice: write due reminders, publish the notices due in the coming minute.
    "notices": {"task": "recallcases.notices.tasks.notices_send_due", "schedule": 60.0},
    # The claim tallies the reports and the queue read: a row per change, merged.
    "claim-tallies": {
        "task": "recallcases.claims.tasks.claim_tallies_compact_task",
        "schedule": 300.0,
    },
    # The retention schedule and expired sessions, once a day at a quiet hour (UTC).
    "retention": {
        "task": "recallcases.retention.tasks.retention_run",
        "schedule": crontab(hour=3, minute=17),
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(BASE_DIR / "var" / "celerybeat-schedule")

# The outbox (recallcases.notifications): tries before an email is marked failed, the backoff.
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=8)
OUTBOX_RETRY_BASE_SECONDS = env.float("OUTBOX_RETRY_BASE_SECONDS", default=30.0)
OUTBOX_RETRY_MAX_SECONDS = env.float("OUTBOX_RETRY_MAX_SECONDS", default=3600.0)
# The longest countdown given to Celery: well inside the visibility timeout above.
OUTBOX_MAX_COUNTDOWN = 1800
# How long a fresh row is left to its own publish-after-commit before the sweep takes it too.
OUTBOX_SWEEP_GRACE_SECONDS = env.float("OUTBOX_SWEEP_GRACE_SECONDS", default=30.0)
# Batches (deliver_batch: notices, cron): rows taken at once and sent over one connection; the
# seconds a batch goes on taking the next row (inside the task's 60 s soft limit); how long its
# rows stay leased to it (far beyond the batch's time plus a send's timeout: a row is never sent
# by two batches); the most messages one worker sends per second (0: no limit): the provider's
# rate divided by the workers that send.
OUTBOX_BATCH_SIZE = env.int("OUTBOX_BATCH_SIZE", default=500)
OUTBOX_BATCH_SECONDS = env.float("OUTBOX_BATCH_SECONDS", default=30.0)
OUTBOX_LEASE_SECONDS = env.float("OUTBOX_LEASE_SECONDS", default=300.0)
OUTBOX_RATE_PER_SECOND = env.float("OUTBOX_RATE_PER_SECOND", default=0.0)

# Direct notice (recallcases.notices): recall notices and reminders sent per minute, all recalls.
NOTICE_RATE_PER_MINUTE = env.int("NOTICE_RATE_PER_MINUTE", default=600)
# Days after a notice (and after each reminder) before a purchaser who has not claimed is reminded.
NOTICE_REMINDER_DAYS = env.int("NOTICE_REMINDER_DAYS", default=30)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"
AUTHENTICATION_BACKENDS = [
    # First, so a locked-out username and address is refused before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Staff sign-in lockout (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one username
# from one address, that pair is refused for the cool-off. Username and address together, so a
# stranger elsewhere cannot lock a colleague out; one address gets that many guesses per username.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
# How long a lockout lasts; an administrator can lift it earlier (admin: Access attempts).
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
# The pair that is counted and locked; `ip_address` is present, as axes' own check asks.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# And the username from every address together: guesses spread over many addresses are locked
# out too, after this many (higher, so that one address's typos never lock a colleague out).
LOCKOUT_USERNAME_FAILURE_LIMIT = env.int("LOCKOUT_USERNAME_FAILURE_LIMIT", default=20)
AXES_HANDLER = "recallcases.workspace.lockout.StaffLockoutHandler"
# The address as the rate limits see it: a forged X-Forwarded-For cannot dodge or frame a lockout,
# and an IPv6 client counts as its /64.
AXES_CLIENT_IP_CALLABLE = "recallcases.core.client_address.client_address"
# A successful sign-in forgets that pair's earlier typos, so they do not add up over weeks.
AXES_RESET_ON_SUCCESS = True
# A readable page (HTTP 429) that says how long to wait, instead of axes' bare text.
AXES_LOCKOUT_CALLABLE = "recallcases.workspace.views.signin.locked_out"

# Second factor (django-otp, TOTP). The name authenticator apps show beside the account.
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="recallcases")
# Staff with admin access to devices must not be able to read other people's TOTP secrets.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Staff sessions end after this many minutes without a request; consumer sessions are untouched.
STAFF_IDLE_MINUTES = env.int("STAFF_IDLE_MINUTES", default=30)

# Languages: consumer pages, emails and texts in English, French for Canada and Spanish for the
# United States; each recall offers some of them (Recall.languages). Regional codes, as the
# regulators publish: es-us (/es-us/..., catalogue locale/es_US) like fr-ca, so that a Spanish of
# Spain or Mexico could be added beside it; Django's own "es" catalogue fills in its messages.
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("fr-ca", _("French (Canada)")),
    ("es-us", _("Spanish (United States)")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

# Static files: Bootstrap and our CSS/JS are in static/, served by WhiteNoise.
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]

# Uploaded files. Claim photos hold personal data: they live outside static/, have no public URL
# (MEDIA_URL is never routed) and are served only by a view that checks who asks.
PRIVATE_MEDIA_ROOT = env.path("PRIVATE_MEDIA_ROOT", default=BASE_DIR / "var" / "private-media")
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    # An S3-compatible store shared by every web server; objects private, no public URL.
    PRIVATE_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
            "location": env.str("AWS_LOCATION", default="private"),
        },
    }
else:
    PRIVATE_STORAGE = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_MEDIA_ROOT},
    }
STORAGES = {
    "default": PRIVATE_STORAGE,
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env.bool("STATIC_MANIFEST", default=not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
# The photo pipeline refuses anything over 10 MB; leave room for the other form fields.
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# The largest request body taken (recallcases.core.request_body): a public form carries at most
# MAX_PHOTOS_PER_FORM photos (a recall's proof items) of at most MAX_UPLOAD_BYTES each and a few
# fields; staff imports on /workspace/ are larger (the serial registry takes a 200 MB CSV).
# Anything larger is refused with 413 before it is read.
REQUEST_BODY_MAX_BYTES = env.int(
    "REQUEST_BODY_MAX_BYTES", default=MAX_PHOTOS_PER_FORM * MAX_UPLOAD_BYTES + 2 * 2**20
)
STAFF_REQUEST_BODY_MAX_BYTES = env.int("STAFF_REQUEST_BODY_MAX_BYTES", default=201 * 2**20)
FILE_UPLOAD_HANDLERS = [
    # First: stops writing uploaded files once a body without a Content-Length passes the limit.
    "recallcases.core.request_body.BodyLimitUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# Forms: crispy-forms with the Bootstrap 5 pack (Bootstrap is vendored in static/vendor/).
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Email: Django 6.1's MAILERS. Console in development, SMTP in production (EMAIL_HOST ...), or a
# provider through django-anymail (EMAIL_BACKEND=anymail.backends.<provider>.EmailBackend, ANYMAIL).
# The SMTP backend is Django's, reading envelope addresses quicker (recallcases.notifications.smtp).
EMAIL_BACKEND_PATH = env.str(
    "EMAIL_BACKEND",
    default=(
        "django.core.mail.backends.console.EmailBackend"
        if DEBUG
        else "recallcases.notifications.smtp.EmailBackend"
    ),
)
MAILERS = {
    "default": {
        "BACKEND": EMAIL_BACKEND_PATH,
        "OPTIONS": (
            {
                "host": env.str("EMAIL_HOST", default="localhost"),
                "port": env.int("EMAIL_PORT", default=25),
                "username": env.str("EMAIL_HOST_USER", default=""),
                "password": env.str("EMAIL_HOST_PASSWORD", default=""),
                "use_tls": env.bool("EMAIL_USE_TLS", default=False),
                # Never wait forever on a mail server that does not answer.
                "timeout": env.int("EMAIL_TIMEOUT", default=10),
            }
            if EMAIL_BACKEND_PATH.endswith("smtp.EmailBackend")
            else {}
        ),
    }
}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="recalls@localhost")
# The right-hand side of every Message-ID, so that mail clients recognise a message sent twice.
EMAIL_MESSAGE_ID_DOMAIN = env.str("EMAIL_MESSAGE_ID_DOMAIN", default="recallcases.localhost")
ANYMAIL = env.dict("ANYMAIL", default={})

# Status texts (django-sms), sent through the outbox like emails. In development a file per
# worker run in var/texts/; in production a provider's backend, e.g.
# SMS_BACKEND=sms.backends.twilio.SmsBackend with TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (and
# the `twilio` package); empty turns texts off: the claim forms then offer no opt-in.
SMS_BACKEND = env.str("SMS_BACKEND", default="sms.backends.filebased.SmsBackend" if DEBUG else "")
SMS_FILE_PATH = env.str("SMS_FILE_PATH", default=str(BASE_DIR / "var" / "texts"))
DEFAULT_FROM_SMS = env.str("DEFAULT_FROM_SMS", default="")
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="")
# The secret the provider's inbound webhook (a consumer's reply: STOP, START) is signed with, as
# HMAC-SHA256 of the body in the X-Signature header; empty: the webhook answers 404.
TEXTS_INBOUND_SECRET = env.str("TEXTS_INBOUND_SECRET", default="")
TEXTS_INBOUND_RATE = env.str("TEXTS_INBOUND_RATE", default="120/m")

# Days a claim's private status links keep working after the claim ended (closed, rejected or
# withdrawn); then they show a page that says the claim is complete. Reopening revives them.
STATUS_LINK_DAYS_AFTER_END = env.int("STATUS_LINK_DAYS_AFTER_END", default=90)

# Rate limits of the public serial check and claim form, per client address.
SERIAL_CHECK_RATE = env.str("SERIAL_CHECK_RATE", default="10/m")
SERIAL_CHECK_DAILY_CAP = env.str("SERIAL_CHECK_DAILY_CAP", default="200/d")
CLAIM_SUBMIT_RATE = env.str("CLAIM_SUBMIT_RATE", default="20/h")
# Checks of a verification code (/<lang>/verify/): plenty for a consumer, too few for guessing.
MESSAGE_VERIFY_RATE = env.str("MESSAGE_VERIFY_RATE", default="20/h")
# How many reverse proxies in front of the app append to X-Forwarded-For. 0: trust none, use the
# connection's address, so a forged header cannot dodge the limits.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# When the cache (Redis) is away, consumers can still check serials and file claims: a recall
# must not stop answering because its rate limiter did. The outage is logged by django-redis.
RATELIMIT_FAIL_OPEN = True

# Security. Behind TLS in production; every setting below can be relaxed by environment.
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", default=False) else None
)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# Django's built-in Content Security Policy: only our own files; scripts need the page's nonce.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:", "blob:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# Logging: to stderr. Private status links carry a secret token; the filter keeps it out of logs.
LOGGING = redacting_logging_config(
    level=env.str("LOG_LEVEL", default="INFO"), loggers=["django.server"]
)
# A Redis outage: one line when it starts, not a traceback for every cache call during it.
LOGGING["filters"]["one_line_per_outage"] = {"()": "recallcases.core.log_filters.OneLinePerOutage"}
LOGGING["loggers"]["recallcases.cache"] = {"filters": ["one_line_per_outage"], "level": "WARNING"}

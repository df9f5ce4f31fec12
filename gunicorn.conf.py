"""gunicorn settings for production: `gunicorn recallcases.wsgi` (see README, "Production")."""

import os

from recallcases.core.log_filters import redacting_logging_config

# Loopback by default: only the proxy in front (which caps bodies and times out slow clients, see
# README "Production") talks to gunicorn. Set GUNICORN_BIND to listen elsewhere.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
# Photo uploads from phones on slow networks need more than the default 30 s.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
# The application is imported once, by the master, and each worker forked from it: a worker
# started again (below) costs a fork, not the 1.6 s of CPU of importing Django and the site.
preload_app = True
# A worker is replaced after this many requests, in case something grows in memory. At 2,000 the
# load test's 90 requests a second replaced one every 20 s (22 times in 10 minutes), each with
# its caches cold and a third of the threads away meanwhile.
max_requests = 20000
max_requests_jitter = 2000
# Only our own proxies may set X-Forwarded-* (see TRUSTED_PROXY_COUNT in .env.example).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

accesslog = "-"
errorlog = "-"
# Access lines go through the same filter as Django's logs: status links carry a secret token.
logconfig_dict = redacting_logging_config(
    level=os.environ.get("LOG_LEVEL", "INFO"),
    loggers=["gunicorn.error", "gunicorn.access"],
    stream="ext://sys.stdout",
)

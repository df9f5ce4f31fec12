"""What the database benchmarks share: a scratch PostgreSQL database, Django set up for timing,
statistics and the machine's description.

The scratch database is `recallcases_bench` on the server DATABASE_URL names (or on
postgres://postgres@127.0.0.1:5432 when DATABASE_URL is not PostgreSQL); BENCH_DATABASE_URL names
another. It is dropped and created again on every run, so its name must contain "bench": the
database the site runs on is never touched.
"""

import os
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/"
BENCH_DATABASE = "recallcases_bench"
# The serial check's rate limits, lifted: the benchmark is one client asking thousands of times.
UNLIMITED = "1000000000/s"


def bench_database_url() -> str:
    """The scratch database's URL (see the module's docstring)."""
    if os.environ.get("BENCH_DATABASE_URL"):
        url = os.environ["BENCH_DATABASE_URL"]
    else:
        configured = os.environ.get("DATABASE_URL", "")
        server = configured if configured.startswith(("postgres://", "postgresql://")) else ""
        parts = urlsplit(server or DEFAULT_SERVER)
        url = urlunsplit(parts._replace(path=f"/{BENCH_DATABASE}"))
    name = urlsplit(url).path.lstrip("/")
    if "bench" not in name:
        sys.exit(f"Refusing to drop the database {name!r}: a scratch database's name has 'bench'.")
    return url


def scratch_database_create(url: str) -> None:
    """Drop the scratch database if it is there, and create it empty."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def django_setup(url: str) -> None:
    """Set Django up on the scratch database as production runs: DEBUG off, no rate limits."""
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "recallcases.settings",
            "DATABASE_URL": url,
            "DEBUG": "false",
            "SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
            "ALLOWED_HOSTS": "testserver",
            "SITE_URL": "http://testserver",
            # One process: rate limits may count in local memory when REDIS_URL is not set.
            "RATELIMIT_ALLOW_LOCAL_MEMORY": "true",
            # The test client speaks plain HTTP; a TLS proxy does this part in production.
            "SECURE_SSL_REDIRECT": "false",
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
            "STATIC_MANIFEST": "false",
            "SERIAL_CHECK_RATE": UNLIMITED,
            "SERIAL_CHECK_DAILY_CAP": UNLIMITED,
            "LOG_LEVEL": "WARNING",
            # Emails of the demo data go nowhere.
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        }
    )
    import django
    from django.core.management import call_command
    from django.test.utils import override_settings

    # No collectstatic in a scratch run: WhiteNoise serves nothing here, and need not say so.
    warnings.filterwarnings("ignore", message="No directory at")
    django.setup()
    # The yardstick views (bench/bench_urls.py) are mounted beside the site's own pages.
    override_settings(ROOT_URLCONF="bench_urls").enable()
    call_command("migrate", verbosity=0)


# --- Timing --------------------------------------------------------------------------------------


def time_alternately(
    first: Callable[[int], object], second: Callable[[int], object], *, runs: int, warmup: int
) -> tuple[list[float], list[float]]:
    """Milliseconds of each call of `first(i)` and `second(i)`, interleaved so drift hits both."""
    for i in range(warmup):
        first(i)
        second(i)
    first_ms, second_ms = [], []
    for i in range(runs):
        for call, timings in ((first, first_ms), (second, second_ms)):
            start = time.perf_counter()
            call(i)
            timings.append((time.perf_counter() - start) * 1000)
    return first_ms, second_ms


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def p95(samples: list[float]) -> float:
    """The 95th percentile, interpolated between samples."""
    return statistics.quantiles(samples, n=20, method="inclusive")[18]


# --- The machine ---------------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or "unknown CPU"
    for line in cpuinfo.splitlines():
        if line.startswith("model name"):
            return line.partition(":")[2].strip()
    return platform.processor() or "unknown CPU"


def memory_gb() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return 0.0


def machine() -> str:
    """CPU, cores, memory, OS, PostgreSQL and Python, on one line."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        (postgres,) = cursor.fetchone()
    return (
        f"{cpu_model()}, {os.cpu_count()} cores, {memory_gb():.0f} GB; "
        f"{platform.system()} {platform.release()}; PostgreSQL {postgres.split()[0]}; "
        f"Python {platform.python_version()}"
    )

"""`make loadtest`: the production stack on loopback under a launch day's traffic, with Locust.

Starts, each on a free loopback port and stopped at the end (or on Ctrl-C): a Redis server of
its own, an SMTP sink (aiosmtpd, in this process) that counts the emails, gunicorn with
gunicorn.conf.py, a Celery worker and beat, all with DEBUG off, on a scratch PostgreSQL database
(dropped and created again; its name must contain "loadtest" or "bench"). The speaker recall is
loaded with a registry of 69,000 serials (the recall's size), and claims are filed beforehand so
that status links exist from the first second. Then Locust (headless, bench/loadtest/
locustfile.py) drives constant rates of serial checks, claims with a 12-megapixel JPEG, and
status views, and this script prints per page p50/p95/p99, throughput, errors, the CPU each part
of the stack used, and whether every email was sent once.

What differs from production, and why:
- Plain HTTP: no TLS proxy in front (SECURE_SSL_REDIRECT and secure cookies off).
- Locust plays the proxy: TRUSTED_PROXY_COUNT=1 and each consumer's visit comes with its own
  X-Forwarded-For address, so the rate limits stay at their production values and count per
  consumer. (Without it, every request would come from 127.0.0.1 and be refused after 10 checks.)
- No collectstatic (STATIC_MANIFEST off): Locust fetches pages, not the CSS and JS that browsers
  keep in their cache.

Environment (all optional):
  LOADTEST_DURATION       seconds of load (default 600)
  LOADTEST_CHECK_RATE     serial checks per second, those before a claim included (default 30)
  LOADTEST_CLAIM_RATE     claims per second (default 3)
  LOADTEST_STATUS_RATE    status page views per second (default 30)
  WEB_CONCURRENCY, GUNICORN_THREADS   gunicorn's processes and threads (default 3 and 4)
  LOADTEST_WORKER_CONCURRENCY         Celery worker processes (default 2)
  LOADTEST_DATABASE_URL   the scratch database (default: recallcases_loadtest on DATABASE_URL's
                          server, or on postgres://postgres@127.0.0.1:5432)
"""

import io
import json
import logging
import math
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from benchkit import cpu_model, memory_gb, scratch_database_create  # noqa: E402
from processes import (  # noqa: E402
    SmtpSink,
    Stack,
    cpu_sample,
    free_port,
    http_answers,
    redis_answers,
    wait_until,
)
from report import (  # noqa: E402
    ACCESS_LOG_FORMAT,
    CALIBRATION_REQUESTS,
    calibrate,
    outbox_drained,
    report_print,
)

BIN = ROOT / ".venv" / "bin"
LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/"
DEFAULT_DATABASE = "recallcases_loadtest"
# Units in the registry (the recall's size), in ranges of 100 serials with gaps of 20, so that a
# near miss is a well-formed serial that is not recalled.
REGISTRY_UNITS = {"A3102": 40_000, "A3302": 29_000}
RANGE, GAP = 100, 20
FIRST_NUMBER = {"A3102": 10_000_000, "A3302": 20_000_000}
PREFIX = "LTX"  # no O or I: the recall's serials never use them
SEEDED_CLAIMS = 200
# gunicorn's control socket is one path per user ($HOME/.gunicorn/gunicorn.ctl): a second gunicorn
# on the machine would take it over. The load test needs none.
NO_CONTROL_SOCKET = ["--no-control-socket"]

# Requests per second each simulated consumer makes at most (Locust's constant_throughput):
# low enough that one consumer's visit fits in its slot even when the server is slow.
PER_USER_RATE = {"check": 0.5, "claim": 0.1, "status": 1.0}


@dataclass
class Plan:
    duration: int = int(os.environ.get("LOADTEST_DURATION", "600"))
    check_rate: float = float(os.environ.get("LOADTEST_CHECK_RATE", "30"))
    claim_rate: float = float(os.environ.get("LOADTEST_CLAIM_RATE", "3"))
    status_rate: float = float(os.environ.get("LOADTEST_STATUS_RATE", "30"))
    web_concurrency: int = int(os.environ.get("WEB_CONCURRENCY", "3"))
    threads: int = int(os.environ.get("GUNICORN_THREADS", "4"))
    worker_concurrency: int = int(os.environ.get("LOADTEST_WORKER_CONCURRENCY", "2"))

    def users(self) -> dict[str, int]:
        """Simulated consumers of each kind, so that their constant rates add up to the targets."""
        return {
            "CheckingConsumer": math.ceil(
                max(self.check_rate - self.claim_rate, 0) / PER_USER_RATE["check"]
            ),
            "ClaimingConsumer": math.ceil(self.claim_rate / PER_USER_RATE["claim"]),
            "StatusViewer": math.ceil(self.status_rate / PER_USER_RATE["status"]),
        }


def scratch_database_url() -> str:
    """The scratch database's URL; never the database the site runs on (see the docstring)."""
    url = os.environ.get("LOADTEST_DATABASE_URL", "")
    if not url:
        configured = os.environ.get("DATABASE_URL", "")
        server = configured if configured.startswith(("postgres://", "postgresql://")) else ""
        url = urlunsplit(urlsplit(server or DEFAULT_SERVER)._replace(path=f"/{DEFAULT_DATABASE}"))
    name = urlsplit(url).path.lstrip("/")
    if not ("loadtest" in name or "bench" in name) or url == os.environ.get("DATABASE_URL"):
        sys.exit(f"Refusing to drop {name!r}: a scratch database's name has 'loadtest' or 'bench'.")
    return url


# --- Setting up ----------------------------------------------------------------------------------


def stack_environment(
    *, database_url: str, redis_url: str, smtp_port: int, site: str, plan: Plan, run_dir: Path
) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "EMAIL_", "DJANGO_", "CELERY_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="recallcases.settings",
        DEBUG="false",
        SECRET_KEY="loadtest-only-secret-key-" + "x" * 40,
        ALLOWED_HOSTS="127.0.0.1",
        SITE_URL=site,
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        CELERY_BROKER_URL=redis_url,
        PRIVATE_MEDIA_ROOT=str(run_dir / "private-media"),
        EMAIL_BACKEND="recallcases.notifications.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_port),
        TRUSTED_PROXY_COUNT="1",
        SECURE_SSL_REDIRECT="false",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        STATIC_MANIFEST="false",
        LOG_LEVEL="INFO",
        GUNICORN_BIND=urlsplit(site).netloc,
        WEB_CONCURRENCY=str(plan.web_concurrency),
        GUNICORN_THREADS=str(plan.threads),
    )
    return env


def gap_start(k: int) -> int:
    """The first number in the A3102 registry's k-th gap (after its k-th range)."""
    return FIRST_NUMBER["A3102"] + k * (RANGE + GAP) + RANGE + 1


def serial(model: str, index: int) -> str:
    """The index-th recalled serial of a model's registry (ranges of RANGE, gaps of GAP)."""
    number = FIRST_NUMBER[model] + (index // RANGE) * (RANGE + GAP) + index % RANGE + 1
    return f"{model}{PREFIX}{number:08d}"


def phone_photo(path: Path) -> None:
    """A 12-megapixel JPEG as a phone takes it: sensor noise, ~3.5 MB, EXIF, held sideways."""
    from PIL import Image

    size = (4000, 3000)
    scene = Image.linear_gradient("L").resize(size).convert("RGB")
    noise = Image.effect_noise(size, 24).convert("RGB")
    photo = Image.blend(scene, noise, 0.35)
    exif = Image.Exif()
    exif[0x010F] = "Google"  # Make
    exif[0x0110] = "Pixel 8"  # Model
    exif[0x0112] = 6  # Orientation: rotate 90° to show upright
    photo.save(path, "JPEG", quality=88, exif=exif)


def data_load(plan: Plan, run_dir: Path) -> dict:
    """Migrate, load the recall and its registry, file the seed claims; returns Locust's plan."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.urls import reverse
    from django.utils import translation

    from recallcases.claims.services import ConsumerDetails, claim_submit
    from recallcases.core.photo_pipeline import process_photo
    from recallcases.recalls.demo import demo_recall_load
    from recallcases.recalls.services import registry_import

    call_command("migrate", verbosity=0)
    recall = demo_recall_load()
    rows = [
        {
            "model": model,
            "first_serial": serial(model, start),
            "last_serial": serial(model, start + RANGE - 1),
        }
        for model, units in REGISTRY_UNITS.items()
        for start in range(0, units, RANGE)
    ]
    registry_import(recall=recall, rows=rows, is_demo=True)
    products = {p.model: p.pk for p in recall.products.all()}

    photo_path = run_dir / "phone-photo.jpg"
    phone_photo(photo_path)
    small = io.BytesIO()
    from PIL import Image

    links = []
    # One log line per claim filed is the service's job in production, not a setup's.
    logging.disable(logging.INFO)
    for n in range(SEEDED_CLAIMS):
        small.seek(0)
        small.truncate()
        Image.new("RGB", (1200, 900), (n % 256, 80, 160)).save(small, "JPEG")
        submitted = claim_submit(
            recall=recall,
            product=recall.products.get(model="A3102"),
            serial_as_typed=serial("A3102", n),
            details=ConsumerDetails(
                name="Camille Roy",
                email=f"seeded-{n}@example.ca",
                phone="514-555-0199",
                address_line1="1000 rue Sherbrooke Ouest",
                address_line2="",
                city="Montréal",
                region="QC",
                postal_code="H3A 3G4",
                country="CA",
                language="en",
            ),
            photo=process_photo(small.getvalue()),
        )
        with translation.override("en"):
            links.append(reverse("consumer:claim_status", kwargs={"token": submitted.access_token}))

    logging.disable(logging.NOTSET)
    claims_needed = int(plan.claim_rate * plan.duration * 1.5) + 100
    units = REGISTRY_UNITS["A3102"]
    rng = random.Random(11)
    return {
        "photo": str(photo_path),
        "status_links": links,
        "unclaimed_serials": [
            serial("A3102", n)
            for n in range(SEEDED_CLAIMS, min(SEEDED_CLAIMS + claims_needed, units))
        ],
        "recalled_samples": [
            serial(model, rng.randrange(REGISTRY_UNITS[model]))
            for model in REGISTRY_UNITS
            for _ in range(1000)
        ],
        # In the gaps between ranges, or past the registry's end: well formed, not recalled.
        "not_recalled_samples": [
            f"A3102{PREFIX}{gap_start(k) + rng.randrange(GAP):08d}" for k in range(500)
        ]
        + [f"A3302{PREFIX}{29_000_000 + k:08d}" for k in range(500)],
        # Typed as people do: a character short, the letter O for a zero, a space inside.
        "malformed_samples": [serial("A3102", units + k)[:-1] for k in range(100)]
        + [serial("A3302", k).replace("0", "O", 1) for k in range(100)]
        + [serial("A3102", k)[:8] + " " + serial("A3102", k)[8:] for k in range(100)],
        "products": products,
        "per_user_rate": PER_USER_RATE,
        "users": plan.users(),
    }


# --- The run -------------------------------------------------------------------------------------


def main() -> int:
    plan = Plan()
    database_url = scratch_database_url()
    database = urlsplit(database_url).path.lstrip("/")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    run_dir = ROOT / "var" / "loadtest" / stamp
    run_dir.mkdir(parents=True)
    if not shutil.which("redis-server"):
        sys.exit("The load test starts a Redis server of its own: install redis-server.")

    # Ctrl-C, a TERM or a hang-up: stop everything started (within about 20 s), then leave. Set
    # here, as a shell that starts this in the background may have left SIGINT ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for number in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, lambda *_: sys.exit(143))
    stack = Stack(run_dir=run_dir)
    sink = SmtpSink()
    try:
        sink.controller.start()
        redis_port = free_port()
        redis_url = f"redis://127.0.0.1:{redis_port}/0"
        redis = stack.start(
            "redis",
            [
                "redis-server",
                "--port",
                str(redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            env=dict(os.environ),
        )
        import redis as redis_client

        wait_until(
            lambda: redis_answers(redis_client, redis_port),
            "Redis to answer",
            process=redis,
            timeout=15,
        )

        site = f"http://127.0.0.1:{free_port()}"
        env = stack_environment(
            database_url=database_url,
            redis_url=redis_url,
            smtp_port=sink.port,
            site=site,
            plan=plan,
            run_dir=run_dir,
        )
        print(f"Scratch database {database}: dropped and created again; loading the recall ...")
        scratch_database_create(database_url)
        os.environ.update(env)
        started = time.monotonic()
        locust_plan = data_load(plan, run_dir)
        calibration_serials = locust_plan["unclaimed_serials"][-(CALIBRATION_REQUESTS + 1) :]
        del locust_plan["unclaimed_serials"][-(CALIBRATION_REQUESTS + 1) :]
        (run_dir / "plan.json").write_text(json.dumps(locust_plan))
        # The SMTP sink's own log says every command of every message: only its warnings.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        photo_mb = Path(locust_plan["photo"]).stat().st_size / 1e6
        print(
            f"  registry of {sum(REGISTRY_UNITS.values()):,} serials in ranges, {SEEDED_CLAIMS} "
            f"claims filed, a 12 MP photo of {photo_mb:.1f} MB "
            f"({time.monotonic() - started:.0f} s)"
        )
        from django.db import connection

        connection.close()

        web = stack.start(
            "gunicorn",
            [
                str(BIN / "gunicorn"),
                "recallcases.wsgi",
                "-c",
                "gunicorn.conf.py",
                *NO_CONTROL_SOCKET,
                "--access-logformat",
                ACCESS_LOG_FORMAT,
            ],
            env,
        )
        worker = stack.start(
            "celery-worker",
            [
                str(BIN / "celery"),
                "-A",
                "recallcases",
                "worker",
                "--loglevel=INFO",
                f"--concurrency={plan.worker_concurrency}",
                "-n",
                "loadtest@%h",
            ],
            env,
        )
        stack.start(
            "celery-beat",
            [
                str(BIN / "celery"),
                "-A",
                "recallcases",
                "beat",
                "--loglevel=INFO",
                "-s",
                str(run_dir / "celerybeat-schedule"),
            ],
            env,
        )
        wait_until(lambda: http_answers(site), "gunicorn to answer", process=web)
        wait_until(
            lambda: " ready." in worker.log.read_text(errors="replace"),
            "the worker",
            process=worker,
        )
        print(f"Stack up on {site}; {plan.duration} s of load ...", flush=True)

        users = plan.users()
        total_users = sum(users.values())
        costs = calibrate(
            site=site,
            stack=stack,
            database=database,
            data=locust_plan,
            serials=calibration_serials,
        )
        before = cpu_sample(stack, database)
        load_started = time.monotonic()
        locust = stack.start(
            "locust",
            [
                str(BIN / "locust"),
                "-f",
                str(LOCUSTFILE),
                "--headless",
                "--host",
                site,
                "-u",
                str(total_users),
                "-r",
                str(max(total_users // 10, 1)),
                "-t",
                f"{plan.duration}s",
                "--stop-timeout",
                "15",
                "--csv",
                str(run_dir / "locust"),
                "--only-summary",
                "--loglevel",
                "WARNING",
            ],
            {**os.environ, "LOADTEST_PLAN": str(run_dir / "plan.json")},
        )
        reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
        try:
            locust.popen.wait(timeout=plan.duration + 120)
        except subprocess.TimeoutExpired:
            os.killpg(locust.popen.pid, signal.SIGKILL)
            locust.popen.wait()
            print("Locust did not stop in time; stopped.")
        after = cpu_sample(stack, database)
        # Locust has ended (and was reaped): its CPU is in this process's children's usage.
        now = resource.getrusage(resource.RUSAGE_CHILDREN)
        after["locust"] = (now.ru_utime + now.ru_stime) - (reaped.ru_utime + reaped.ru_stime)
        before["locust"] = 0.0
        elapsed = time.monotonic() - load_started
        for process in stack.processes:
            if process.name != "locust" and not process.alive():
                print(f"{process.name} exited during the load:\n{process.tail()}")
        if not (run_dir / "locust_stats.csv").exists():
            print(f"Locust wrote no statistics:\n{locust.tail()}")
            return 2

        emails = outbox_drained(timeout=90)
        with sink.lock:
            emails["received"] = len(sink.message_ids)
            emails["duplicates"] = len(sink.message_ids) - len(set(sink.message_ids))
        met = report_print(
            plan=plan,
            run_dir=run_dir,
            elapsed=min(elapsed, plan.duration),
            before=before,
            after=after,
            emails=emails,
            machine_line=f"{cpu_model()}, {os.cpu_count()} cores, {memory_gb():.0f} GB",
            costs=costs,
        )
        return 0 if met else 1
    except KeyboardInterrupt:
        print("\nInterrupted: stopping the stack.")
        return 130
    finally:
        print("Stopping the stack ...", flush=True)
        stack.stop()
        sink.controller.stop()


if __name__ == "__main__":
    sys.exit(main())

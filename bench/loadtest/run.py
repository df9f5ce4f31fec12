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

import csv
import io
import json
import logging
import math
import os
import random
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from benchkit import cpu_model, memory_gb, scratch_database_create  # noqa: E402

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
# gunicorn's access log for the report: method, path, status and the request's time in µs.
ACCESS_LOG_FORMAT = "loadtest %(m)s %(U)s %(s)s %(D)s"
ACCESS_LINE = re.compile(r"loadtest (?P<method>[A-Z]+) (?P<path>\S+) \d{3} (?P<micros>\d+)")
RECALL = "/en/anker-speakers-2024/"
# Target of issue 11: p95 of every page read and of the serial check at most this (ms).
P95_TARGET_MS = 300
# Requests per second each simulated consumer makes at most (Locust's constant_throughput):
# low enough that one consumer's visit fits in its slot even when the server is slow.
PER_USER_RATE = {"check": 0.5, "claim": 0.1, "status": 1.0}
PAGES = [
    "recall page",
    "serial check (POST)",
    "claim form",
    "claim submit (POST, 12 MP photo)",
    "claim received",
    "status page",
]


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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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


# --- Processes -----------------------------------------------------------------------------------


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def alive(self) -> bool:
        return self.popen.poll() is None


@dataclass
class Stack:
    run_dir: Path
    processes: list[Process] = field(default_factory=list)

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> Process:
        log = self.run_dir / f"{name}.log"
        with log.open("wb") as out:
            # A session of its own: Ctrl-C reaches this script only, which stops each in order.
            popen = subprocess.Popen(
                argv,
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        process = Process(name=name, popen=popen, log=log)
        self.processes.append(process)
        return process

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.alive():
                os.killpg(process.popen.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for process in reversed(self.processes):
            try:
                process.popen.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                os.killpg(process.popen.pid, signal.SIGKILL)
                process.popen.wait()


def wait_until(predicate, what: str, process: Process | None = None, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and not process.alive():
            sys.exit(f"{process.name} exited while starting:\n{process.tail()}")
        if predicate():
            return
        time.sleep(0.2)
    sys.exit(f"Gave up after {timeout:g} s waiting for {what}.")


class SmtpSink:
    """An SMTP server that accepts every message and keeps its Message-ID."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.message_ids: list[str] = []
        self.lock = threading.Lock()
        self.controller = Controller(self, hostname="127.0.0.1", port=free_port())
        self.port = self.controller.port

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's name for the hook
        import email

        message = email.message_from_bytes(envelope.original_content)
        with self.lock:
            self.message_ids.append(str(message["Message-ID"]).strip())
        return "250 2.0.0 OK"


# --- CPU accounting ------------------------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rpartition(")")[2].split()


def _children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))):
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    return children


def tree_cpu_seconds(pid: int, children: dict[int, list[int]]) -> float:
    """CPU seconds of a process, of its children that ended, and of those still running."""
    fields = _stat(pid)
    if fields is None:
        return 0.0
    # utime, stime, cutime, cstime: fields 14-17 of /proc/<pid>/stat (11-14 after the name).
    own = sum(int(value) for value in fields[11:15]) / CLOCK_TICKS
    return own + sum(tree_cpu_seconds(child, children) for child in children.get(pid, []))


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, all cores."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values) - idle) / CLOCK_TICKS, sum(values) / CLOCK_TICKS


def postgres_backends(database: str) -> list[int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [database],
        )
        return [row[0] for row in cursor.fetchall()]


def cpu_sample(stack: Stack, database: str) -> dict:
    children = _children()
    sample = {p.name: tree_cpu_seconds(p.popen.pid, children) for p in stack.processes}
    sample["postgres"] = {pid: tree_cpu_seconds(pid, {}) for pid in postgres_backends(database)}
    sample["machine"] = machine_busy()
    sample["at"] = time.monotonic()
    return sample


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
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
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


# --- CPU per request, one at a time ------------------------------------------------------------

CALIBRATION_REQUESTS = 40
# Requests of each page per second at the target: every check follows a view of the recall's page.
PAGE_RATES = {
    "recall page": "check_rate",
    "serial check (POST)": "check_rate",
    "claim form": "claim_rate",
    "claim submit (POST, 12 MP photo)": "claim_rate",
    "claim received": "claim_rate",
    "status page": "status_rate",
}


def calibrate(*, site: str, stack: Stack, database: str, data: dict, serials: list[str]) -> dict:
    """CPU milliseconds per request of each page (gunicorn, PostgreSQL), requests one at a time.

    Measured on the idle stack before the load, so that the report can say what the target mix
    costs in CPU whatever else the machine is doing. Each request comes from its own address.
    """
    import requests

    gunicorn = next(p for p in stack.processes if p.name == "gunicorn")
    photo = Path(data["photo"]).read_bytes()
    addresses = iter(range(1, 10_000))
    browser = requests.Session()

    def address() -> dict:
        n = next(addresses)
        return {"X-Forwarded-For": f"10.255.{n >> 8}.{n & 255}"}

    page = browser.get(site + RECALL, headers=address(), timeout=30).text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    calls = {
        "recall page": lambda i: browser.get(site + RECALL, headers=address(), timeout=30),
        "serial check (POST)": lambda i: browser.post(
            site + RECALL + "check/",
            data={"csrfmiddlewaretoken": token, "serial": data["recalled_samples"][i]},
            headers=address(),
            timeout=30,
        ),
        "claim form": lambda i: browser.get(
            site + RECALL + "claim/", headers=address(), timeout=30
        ),
        "claim submit (POST, 12 MP photo)": lambda i: browser.post(
            site + RECALL + "claim/",
            data={
                "csrfmiddlewaretoken": token,
                "serial": serials[i],
                "product": data["products"]["A3102"],
                "name": "Jordan Smith",
                "email": f"calibration-{i + 1}@example.com",
                "phone": "(206) 555-0143",
                "address_line1": "1200 Pine St",
                "city": "Seattle",
                "country": "US",
                "region": "WA",
                "postal_code": "98101",
                "language": "en",
                "consent": "on",
            },
            files={"photo": ("IMG_4032.jpg", photo, "image/jpeg")},
            headers=address(),
            allow_redirects=False,
            timeout=60,
        ),
        "claim received": lambda i: browser.get(
            site + RECALL + "claim/received/", headers=address(), timeout=30
        ),
        # A new browser each time, as a consumer opening the link from an email.
        "status page": lambda i: requests.get(
            site + data["status_links"][i], headers=address(), timeout=30
        ),
    }
    costs = {}
    for name, call in calls.items():
        call(-1)  # the first of its kind loads templates and code: not counted
        start_pg = {pid: tree_cpu_seconds(pid, {}) for pid in postgres_backends(database)}
        start = tree_cpu_seconds(gunicorn.popen.pid, _children())
        for i in range(CALIBRATION_REQUESTS):
            response = call(i)
            if response.status_code >= 400:
                sys.exit(f"Calibration: {name} answered HTTP {response.status_code}.")
        app = tree_cpu_seconds(gunicorn.popen.pid, _children()) - start
        pg = sum(
            tree_cpu_seconds(pid, {}) - start_pg.get(pid, 0.0)
            for pid in postgres_backends(database)
        )
        costs[name] = (1000 * app / CALIBRATION_REQUESTS, 1000 * pg / CALIBRATION_REQUESTS)
    return costs


def calibration_print(costs: dict, plan: Plan) -> None:
    print()
    print(
        f"CPU per request, measured one at a time before the load ({CALIBRATION_REQUESTS} of "
        "each), and what the target rates need:"
    )
    print(f"  {'page':34} {'gunicorn ms':>12} {'postgres ms':>12} {'x rate/s':>9} {'cores':>6}")
    total = 0.0
    for name, (app, pg) in costs.items():
        rate = getattr(plan, PAGE_RATES[name])
        cores = (app + pg) * rate / 1000
        total += cores
        print(f"  {name:34} {app:12.1f} {pg:12.1f} {rate:9g} {cores:6.2f}")
    print(
        f"  The target mix needs {total:.2f} cores of gunicorn and PostgreSQL alone, of the "
        f"{os.cpu_count()} the machine has (Locust, the worker, Redis and the kernel need more)."
    )


# --- The report ----------------------------------------------------------------------------------


def stats_read(path: Path) -> dict[str, dict]:
    with path.open(newline="") as file:
        return {row["Name"]: row for row in csv.DictReader(file)}


def page_of(method: str, path: str) -> str | None:
    """The Locust name of a request in gunicorn's access log (None: not the load's)."""
    if "/status/" in path:
        return "status page"
    if path == RECALL + "claim/received/":
        return "claim received"
    if path == RECALL + "claim/":
        return "claim form" if method == "GET" else "claim submit (POST, 12 MP photo)"
    if path == RECALL + "check/" and method == "POST":
        return "serial check (POST)"
    if path == RECALL:
        return "recall page"
    return None


def server_times(log: Path) -> dict[str, list[float]]:
    """Milliseconds gunicorn spent on each request of the load, by page (ACCESS_LOG_FORMAT)."""
    times: dict[str, list[float]] = {}
    for match in ACCESS_LINE.finditer(log.read_text(errors="replace")):
        if page := page_of(match["method"], match["path"]):
            times.setdefault(page, []).append(int(match["micros"]) / 1000)
    return times


def percentile(samples: list[float], q: int) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q / 100))]


def failures_read(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with path.open(newline="") as file:
        return list(csv.DictReader(file))


def report_print(
    *,
    plan: Plan,
    run_dir: Path,
    elapsed: float,
    before: dict,
    after: dict,
    emails: dict,
    machine_line: str,
    costs: dict,
) -> bool:
    stats = stats_read(run_dir / "locust_stats.csv")
    failures = failures_read(run_dir / "locust_failures.csv")
    print()
    print(f"Load test, {elapsed:.0f} s of load on {machine_line}")
    print(
        f"Stack: gunicorn {plan.web_concurrency} processes x {plan.threads} threads, Celery worker "
        f"(concurrency {plan.worker_concurrency}) and beat, Redis, PostgreSQL; DEBUG off."
    )
    print(f"Simulated consumers: {plan.users()}")
    print()
    served = server_times(run_dir / "gunicorn.log")
    columns = ("requests", "errors", "p50 ms", "p95 ms", "p99 ms", "req/s", "in app", "p95")
    header = f"{'page':34}" + "".join(f" {column:>8}" for column in columns)
    print("Times in ms as Locust saw them; 'in app': median and p95 of gunicorn's own time, from")
    print("the request read to the response written (the rest is waiting for a free thread).")
    print(header)
    print("-" * len(header))
    missed = []
    for name in [*PAGES, "Aggregated"]:
        row = stats.get(name)
        if row is None:
            continue
        count, errors = int(row["Request Count"]), int(row["Failure Count"])
        p50, p95, p99 = (float(row[q] or 0) for q in ("50%", "95%", "99%"))
        label = "all" if name == "Aggregated" else name
        times = served.get(name) or [t for page in served.values() for t in page]
        in_app = f" {percentile(times, 50):8.0f} {percentile(times, 95):8.0f}" if times else ""
        print(
            f"{label:34} {count:8d} {errors:8d} {p50:8.0f} {p95:8.0f} {p99:8.0f}"
            f" {float(row['Requests/s']):8.1f}{in_app}"
        )
        if name not in ("Aggregated", "claim submit (POST, 12 MP photo)") and p95 > P95_TARGET_MS:
            missed.append(f"p95 of {name} is {p95:.0f} ms (target {P95_TARGET_MS} ms)")

    def rate(name):
        row = stats.get(name)
        return float(row["Requests/s"]) if row else 0.0

    achieved = {
        "serial checks": (rate("serial check (POST)"), plan.check_rate),
        "claims": (rate("claim submit (POST, 12 MP photo)"), plan.claim_rate),
        "status views": (rate("status page"), plan.status_rate),
    }
    print()
    print(
        "Throughput: "
        + ", ".join(
            f"{what} {got:.1f}/s (target {want:g})" for what, (got, want) in achieved.items()
        )
        + f"; all requests {rate('Aggregated'):.1f}/s."
    )
    for what, (got, want) in achieved.items():
        if got < 0.95 * want:
            missed.append(f"{what} reached {got:.1f}/s of {want:g}/s")
    total_errors = int(stats["Aggregated"]["Failure Count"]) if "Aggregated" in stats else 0
    print(f"Errors: {total_errors}")
    for failure in sorted(failures, key=lambda f: -int(f["Occurrences"]))[:8]:
        print(f"  {int(failure['Occurrences']):6d} x {failure['Name']}: {failure['Error'][:120]}")
    if total_errors:
        missed.append(f"{total_errors} errors")

    print()
    window = after["at"] - before["at"]
    print(f"CPU used in the {window:.0f} s of the load (seconds; % of one core):")
    busy = after["machine"][0] - before["machine"][0]
    ours = 0.0
    for name in [p for p in after if p not in ("postgres", "machine", "at")]:
        used = after[name] - before.get(name, 0.0)
        ours += used
        print(f"  {name:28} {used:8.1f} s {100 * used / window:6.0f} %")
    backends = sum(
        seconds - before["postgres"].get(pid, 0.0) for pid, seconds in after["postgres"].items()
    )
    ours += backends
    requests = int(stats["Aggregated"]["Request Count"]) if "Aggregated" in stats else 0
    if requests and "gunicorn" in after:
        served = after["gunicorn"] - before["gunicorn"]
        print(f"  (gunicorn: {1000 * served / requests:.0f} ms of CPU per request, on average)")
    print(
        f"  {'postgres (our backends)':28} {backends:8.1f} s {100 * backends / window:6.0f} %"
        f"  ({len(after['postgres'])} backends; those that ended are not counted)"
    )
    print(
        f"  {'the whole machine':28} {busy:8.1f} s {100 * busy / window:6.0f} %"
        f"  of {os.cpu_count()} cores ({100 * max(busy - ours, 0) / window:.0f} % by others)"
    )
    others = max(busy - ours, 0) / window
    if others > 0.25:
        print(
            f"  Other processes took {100 * others:.0f} % of a core meanwhile: the times above are "
            "not this stack's alone. The CPU per request below holds whatever the machine did."
        )
    print()
    print(
        f"Emails: {emails['written']} written, {emails['sent']} sent, {emails['pending']} still "
        f"pending, {emails['failed']} failed; the SMTP sink received {emails['received']}, "
        f"{emails['duplicates']} of them twice."
    )
    if emails["duplicates"]:
        missed.append(f"{emails['duplicates']} emails sent twice")
    print()
    if missed:
        print("TARGET MISSED: " + "; ".join(missed) + ".")
    else:
        print(
            "TARGET MET: every rate reached, 0 errors, "
            f"p95 within {P95_TARGET_MS} ms for every page and the check."
        )
    calibration_print(costs, plan)
    print()
    print(f"Logs and Locust's CSV files: {run_dir.relative_to(ROOT)}/")
    return not missed


def outbox_drained(timeout: float) -> dict:
    from django.db import connection
    from django.db.models import Count

    from recallcases.notifications.models import EmailState, OutboundEmail

    deadline = time.monotonic() + timeout
    while True:
        counts = dict(OutboundEmail.objects.values_list("state").annotate(n=Count("pk")))
        if not counts.get(EmailState.PENDING) or time.monotonic() > deadline:
            connection.close()
            return {
                "written": sum(counts.values()),
                "sent": counts.get(EmailState.SENT, 0),
                "pending": counts.get(EmailState.PENDING, 0),
                "failed": counts.get(EmailState.FAILED, 0),
            }
        time.sleep(1)


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
            lambda: _pings(redis_client, redis_port), "Redis to answer", process=redis, timeout=15
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
        wait_until(lambda: _answers(site), "gunicorn to answer", process=web)
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


def _pings(redis_client, port: int) -> bool:
    try:
        return redis_client.Redis(port=port, socket_connect_timeout=0.5).ping()
    except redis_client.ConnectionError:
        return False


def _answers(site: str) -> bool:
    host, _, port = urlsplit(site).netloc.partition(":")
    connection = HTTPConnection(host, int(port), timeout=2)
    try:
        connection.request("GET", "/en/")
        return connection.getresponse().status < 500
    except OSError:
        return False
    finally:
        connection.close()


if __name__ == "__main__":
    sys.exit(main())

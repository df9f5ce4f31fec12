"""What `make loadtest` prints: Locust's figures per page beside gunicorn's own time, the CPU of
each part of the stack, the emails, the target's verdict, and the CPU each page costs when
measured one request at a time."""

import csv
import os
import re
import sys
import time
from pathlib import Path

from processes import Stack, postgres_backends, process_children, tree_cpu_seconds

ROOT = Path(__file__).resolve().parents[2]
# gunicorn's access log for the report: method, path, status and the request's time in µs.
ACCESS_LOG_FORMAT = "loadtest %(m)s %(U)s %(s)s %(D)s"
ACCESS_LINE = re.compile(r"loadtest (?P<method>[A-Z]+) (?P<path>\S+) \d{3} (?P<micros>\d+)")
RECALL = "/en/anker-speakers-2024/"
# Target of issue 11: p95 of every page read and of the serial check at most this (ms).
P95_TARGET_MS = 300
PAGES = [
    "recall page",
    "serial check (POST)",
    "claim form",
    "claim submit (POST, 12 MP photo)",
    "claim received",
    "status page",
]


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
        start = tree_cpu_seconds(gunicorn.popen.pid, process_children())
        for i in range(CALIBRATION_REQUESTS):
            response = call(i)
            if response.status_code >= 400:
                sys.exit(f"Calibration: {name} answered HTTP {response.status_code}.")
        app = tree_cpu_seconds(gunicorn.popen.pid, process_children()) - start
        pg = sum(
            tree_cpu_seconds(pid, {}) - start_pg.get(pid, 0.0)
            for pid in postgres_backends(database)
        )
        costs[name] = (1000 * app / CALIBRATION_REQUESTS, 1000 * pg / CALIBRATION_REQUESTS)
    return costs


def calibration_print(costs: dict, plan) -> None:
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
    plan,  # run.Plan
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

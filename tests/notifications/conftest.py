"""Real processes for the outbox's delivery tests: Redis, an SMTP server, Celery workers.

Each test gets a Redis server of its own on a free port (so it can stop and start it), an aiosmtpd
server on loopback that the test steers (refuse, hold), and workers started as the production
command starts them, against the test's PostgreSQL database. Nothing of our own stack is mocked.
"""

import asyncio
import email
import email.policy
import os
import shlex
import shutil
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import kombu.pools
import pytest
import redis
from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connection

from tests.conftest import require

BASE_DIR = Path(__file__).resolve().parents[2]
CELERY = BASE_DIR / ".venv" / "bin" / "celery"
# Loopback only, nothing written to disk: a Redis that lives as long as its test.
REDIS_OPTIONS = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
# The production worker's command, one task at a time so that a test knows what it is doing.
WORKER_ARGUMENTS = shlex.split(
    "-A recallcases worker --pool=solo --concurrency=1 --without-gossip --without-mingle "
    "--without-heartbeat -Q celery --loglevel=INFO"
)
WAIT_SECONDS = 30.0

_reports = pytest.StashKey[dict]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    # Kept so that fixtures can tell at teardown whether the test failed (and print the logs).
    report = yield
    item.stash.setdefault(_reports, {})[report.when] = report
    return report


def _failed(request) -> bool:
    reports = request.node.stash.get(_reports, {})
    return any(report.failed for report in reports.values())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def poll(predicate, timeout: float):
    """Call `predicate` every 0.1 s until it returns something true (returned), or `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def wait_for(predicate, what: str, timeout: float = WAIT_SECONDS):
    """Poll `predicate` until it returns something true; fail the test after `timeout` s."""
    value = poll(predicate, timeout)
    if not value:
        pytest.fail(f"waited {timeout:g} s for {what}", pytrace=False)
    return value


# Redis ------------------------------------------------------------------------------------------


class RedisServer:
    """A redis-server of the test's own, that the test may stop and start again on its port."""

    def __init__(self, *, port: int, log: Path):
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.log = log
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        assert self.process is None, "Redis is already running"
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                ["redis-server", "--port", str(self.port), *REDIS_OPTIONS],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_for(self.answers, f"Redis to answer PING on port {self.port}", timeout=10)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def answers(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            pytest.fail(f"redis-server exited with {self.process.returncode}; see {self.log}")
        try:
            return redis.Redis(port=self.port, socket_connect_timeout=0.5).ping()
        except redis.ConnectionError:
            return False


@pytest.fixture
def redis_process(tmp_path):
    require(shutil.which("redis-server") is not None, "redis-server (apt-get install redis)")
    server = RedisServer(port=free_port(), log=tmp_path / "redis.log")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def broker(redis_process):
    """The test process publishes to the test's Redis (its steps' on_commit, the sweep).

    tests.settings runs tasks in-process; for this test the project's Celery app publishes to
    `redis_process` instead, and is put back afterwards, its broker connections closed, so that no
    later test publishes to a Redis that is gone.
    """
    from recallcases.celery import app

    saved = {"broker_url": app.conf.broker_url, "task_always_eager": app.conf.task_always_eager}
    app.conf.update(broker_url=redis_process.url, task_always_eager=False)
    _drop_broker_connections(app)
    yield redis_process
    app.conf.update(saved)
    _drop_broker_connections(app)


def _drop_broker_connections(app) -> None:
    # What Celery itself does after a fork (Celery._after_fork): the pools are made again, from
    # the current broker_url, at the next publish. force_close_all closes the sockets first.
    if app._pool is not None:
        app._pool.force_close_all()
    producers = app.amqp._producer_pool
    if producers is not None:
        producers.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None
    # kombu keeps its producer pools by connection: without this, the next in-process publish
    # to the same broker (memory://) is handed the pool closed above ("Acquire on closed pool")
    # and later tests publish nothing.
    kombu.pools.reset()


# SMTP -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    message_id: str
    to: str
    subject: str
    body: str  # the text/plain part
    rcpt_tos: tuple[str, ...]


def _parse(envelope) -> Received:
    message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
    return Received(
        message_id=str(message["Message-ID"]).strip(),
        to=str(message["To"]),
        subject=str(message["Subject"]),
        body=message.get_body(preferencelist=("plain",)).get_content(),
        rcpt_tos=tuple(envelope.rcpt_tos),
    )


@dataclass
class Mailbox:
    """The SMTP server's handler: what it received, and the switches a test steers it with.

    `refusing` set: every message is answered "451 4.3.0 Try again later" (a temporary failure).
    `hold` set: the answer to a message is held back (the client waits for it) until `hold` is
    cleared; `receiving` is set when a message is being held. A message counts as received only
    when the server answered 250 on a connection still open: if the client goes away while its
    message is held, the message is dropped, as a real server drops a transaction it could not
    acknowledge (it is kept in `dropped` so the test can see that it happened).
    """

    messages: list[Received] = field(default_factory=list)
    dropped: list[Received] = field(default_factory=list)
    # The client address (host, port) of each message received: one per connection.
    peers: list[tuple] = field(default_factory=list)
    # When set: `hold` is set by the server itself once this many messages were received.
    hold_after: int | None = None
    refusing: threading.Event = field(default_factory=threading.Event)
    hold: threading.Event = field(default_factory=threading.Event)
    receiving: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's name for the hook
        received = _parse(envelope)
        if self.refusing.is_set():
            return "451 4.3.0 Try again later"
        with self.lock:
            if self.hold_after is not None and len(self.messages) >= self.hold_after:
                self.hold.set()
                self.hold_after = None
        if self.hold.is_set():
            self.receiving.set()
            try:
                while self.hold.is_set():
                    await asyncio.sleep(0.02)
            except asyncio.CancelledError:
                # aiosmtpd cancels the session's handler when the client's connection ends.
                with self.lock:
                    self.dropped.append(received)
                raise
            if server.transport is None or server.transport.is_closing():
                with self.lock:
                    self.dropped.append(received)
                return "451 4.3.0 Connection lost"
        with self.lock:
            self.messages.append(received)
            self.peers.append(tuple(session.peer))
        return "250 2.0.0 OK"

    def received(self) -> list[Received]:
        with self.lock:
            return list(self.messages)


@dataclass
class SmtpServer:
    host: str
    port: int
    mailbox: Mailbox


@pytest.fixture
def smtp_server():
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield SmtpServer(host="127.0.0.1", port=controller.port, mailbox=mailbox)
    mailbox.hold.clear()  # a held session must not keep the server from stopping
    controller.stop()


# Celery workers ---------------------------------------------------------------------------------


class Worker:
    """A `celery worker` process, as production starts it, with its log in a file."""

    def __init__(self, *, name: str, log: Path, env: dict[str, str]):
        self.name = name
        self.log = log
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [str(CELERY), *WORKER_ARGUMENTS, "-n", f"{name}@%h"],
                cwd=BASE_DIR,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.text().splitlines()[-lines:])

    def count(self, needle: str) -> int:
        return self.text().count(needle)

    def wait_ready(self) -> None:
        def ready():
            if self.process.poll() is not None:
                pytest.fail(
                    f"worker {self.name} exited with {self.process.returncode}:\n{self.tail()}",
                    pytrace=False,
                )
            return " ready." in self.text()

        wait_for(ready, f"worker {self.name} to be ready")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """Warm shutdown (SIGTERM: finish the task at hand), killed if it takes too long."""
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _database_url() -> str:
    db = connection.settings_dict
    credentials = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def celery_worker(request, postgres, transactional_db, broker, smtp_server, tmp_path):
    """Start workers: `celery_worker()` returns a ready Worker; all are stopped at teardown.

    The worker is another process: it sees the test's rows because the test commits them
    (transactional_db), in the test database named by connection.settings_dict. It reads the
    production settings module from the environment, as in production; only the delays of the
    outbox are shortened so that retries and the sweep's grace fit in a test.
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DEBUG"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="recallcases.settings",
        SECRET_KEY="tests-only-worker-secret-key-" + "x" * 40,
        ALLOWED_HOSTS="testserver",
        DATABASE_URL=_database_url(),
        CELERY_BROKER_URL=broker.url,
        REDIS_URL=broker.url,
        PRIVATE_MEDIA_ROOT=str(settings.PRIVATE_MEDIA_ROOT),
        STATIC_MANIFEST="false",
        EMAIL_BACKEND="recallcases.notifications.smtp.EmailBackend",
        EMAIL_HOST=smtp_server.host,
        EMAIL_PORT=str(smtp_server.port),
        # Production's own timeout: a held message (Mailbox.hold) must be released within it.
        EMAIL_TIMEOUT="10",
        OUTBOX_RETRY_BASE_SECONDS="0.5",
        OUTBOX_RETRY_MAX_SECONDS="2",
        OUTBOX_SWEEP_GRACE_SECONDS="0.5",
        OUTBOX_MAX_ATTEMPTS="20",
        SITE_URL="http://testserver",
    )
    workers: list[Worker] = []

    def start(name: str = "", **settings_env: str) -> Worker:
        """A ready worker; `settings_env` sets more of its environment (e.g. a short lease)."""
        name = name or f"worker{len(workers) + 1}"
        worker = Worker(name=name, log=tmp_path / f"{name}.log", env={**env, **settings_env})
        workers.append(worker)
        worker.wait_ready()
        return worker

    yield start
    for worker in workers:
        worker.stop()
    if _failed(request):
        for worker in workers:
            print(f"\n--- {worker.name} (pid {worker.pid}), last lines of {worker.log} ---")
            print(worker.tail())

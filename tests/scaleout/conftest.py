"""Real processes for the scale-out test: two gunicorn servers and two Celery workers started as
production starts them, against one PostgreSQL (the test database), one Redis (REDIS_TEST_DB),
one S3-compatible store (moto's server on loopback) and one SMTP server (aiosmtpd, in this process).

Nothing of our own stack is mocked; moto stands in for the object store, which is outside the
machine in production.
"""

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.conftest import require
from tests.notifications.conftest import (
    Worker,
    _database_url,
    _drop_broker_connections,
    _failed,
    free_port,
    pytest_runtest_makereport,  # noqa: F401 (the hook that tells fixtures a test failed)
    smtp_server,  # noqa: F401 (a fixture, used by the test)
    wait_for,
)

BASE_DIR = Path(__file__).resolve().parents[2]
GUNICORN = BASE_DIR / ".venv" / "bin" / "gunicorn"
BUCKET = "recallcases-scaleout"
SECRET_KEY = "tests-only-scaleout-secret-key-" + "x" * 40
# A window no test run straddles: a limit starts its count again at each window's turn.
SERIAL_CHECK_RATE = "4/7d"


@pytest.fixture
def object_store():
    """moto's S3 server on a free loopback port, with the bucket the servers store photos in."""
    try:
        import boto3
        from moto.server import ThreadedMotoServer
    except ImportError:
        require(False, "moto[server] (pip install -r requirements-dev.txt)")
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="scaleout",
        aws_secret_access_key="scaleout",
    )
    client.create_bucket(Bucket=BUCKET)
    yield ObjectStore(endpoint=endpoint, client=client)
    server.stop()


@dataclass
class ObjectStore:
    endpoint: str
    client: object  # a boto3 S3 client

    def keys(self) -> list[str]:
        listing = self.client.list_objects_v2(Bucket=BUCKET)
        return sorted(item["Key"] for item in listing.get("Contents", []))

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=BUCKET, Key=key)["Body"].read()


@pytest.fixture
def stack_env(postgres, redis_url, transactional_db, object_store, smtp_server):  # noqa: F811
    """The environment every server and worker gets: the same settings, as in production."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "AWS_", "EMAIL_", "GUNICORN_"))
        and key not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DEBUG"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="recallcases.settings",
        DEBUG="false",
        SECRET_KEY=SECRET_KEY,
        ALLOWED_HOSTS="127.0.0.1",
        SITE_URL="http://testserver",
        DATABASE_URL=_database_url(),
        # The test's own Redis database (tests.settings points REDIS_URL at REDIS_TEST_DB).
        REDIS_URL=redis_url,
        CELERY_BROKER_URL=redis_url,
        AWS_STORAGE_BUCKET_NAME=BUCKET,
        AWS_S3_ENDPOINT_URL=object_store.endpoint,
        AWS_S3_REGION_NAME="us-east-1",
        AWS_ACCESS_KEY_ID="scaleout",
        AWS_SECRET_ACCESS_KEY="scaleout",
        EMAIL_BACKEND="recallcases.notifications.smtp.EmailBackend",
        EMAIL_HOST=smtp_server.host,
        EMAIL_PORT=str(smtp_server.port),
        SERIAL_CHECK_RATE=SERIAL_CHECK_RATE,
        # Plain HTTP on loopback: the TLS proxy of production is not in this test.
        SECURE_SSL_REDIRECT="false",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        STATIC_MANIFEST="false",
        OUTBOX_SWEEP_GRACE_SECONDS="0.5",
        OUTBOX_RETRY_BASE_SECONDS="0.5",
        OUTBOX_RETRY_MAX_SECONDS="2",
        LOG_LEVEL="INFO",
    )
    return env


class WebServer:
    """A gunicorn process, as production starts it (`gunicorn recallcases.wsgi`)."""

    def __init__(self, *, name: str, env: dict[str, str], tmp_path: Path):
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tmp_path / f"{name}.log"
        # A disk of its own: a photo it stored locally could not be served by the other server.
        self.media = tmp_path / f"{name}-media"
        self.media.mkdir()
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                # A control socket each: by default every gunicorn of a user takes the same one.
                [
                    str(GUNICORN),
                    "recallcases.wsgi",
                    "-c",
                    "gunicorn.conf.py",
                    "--control-socket",
                    str(tmp_path / f"{name}.ctl"),
                ],
                cwd=BASE_DIR,
                env={
                    **env,
                    "GUNICORN_BIND": f"127.0.0.1:{self.port}",
                    "WEB_CONCURRENCY": "1",
                    "GUNICORN_THREADS": "2",
                    "PRIVATE_MEDIA_ROOT": str(self.media),
                },
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def wait_ready(self) -> None:
        def answers():
            if self.process.poll() is not None:
                pytest.fail(
                    f"gunicorn {self.name} exited with {self.process.returncode}:\n{self.tail()}",
                    pytrace=False,
                )
            try:
                return requests.get(self.url + "/en/", timeout=10, allow_redirects=False)
            except (requests.ConnectionError, requests.Timeout):
                # Bound but still loading Django: the socket is there before the worker is.
                return None

        wait_for(answers, f"gunicorn {self.name} to answer")

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def web_servers(request, stack_env, tmp_path):
    """Two gunicorn servers with the same settings, A and B, both ready."""
    require(GUNICORN.exists(), "gunicorn (pip install -r requirements.txt)")
    servers = [WebServer(name=name, env=stack_env, tmp_path=tmp_path) for name in ("a", "b")]
    try:
        for server in servers:
            server.wait_ready()
        yield servers
    finally:
        for server in servers:
            server.stop()
        if _failed(request):
            for server in servers:
                print(f"\n--- gunicorn {server.name}, last lines of {server.log} ---")
                print(server.tail())


@pytest.fixture
def workers(request, stack_env, tmp_path):
    """Two Celery workers on the shared Redis, both ready."""
    started = [
        Worker(name=name, log=tmp_path / f"{name}.log", env=stack_env)
        for name in ("worker1", "worker2")
    ]
    try:
        for worker in started:
            worker.wait_ready()
        yield started
    finally:
        for worker in started:
            worker.stop()
        if _failed(request):
            for worker in started:
                print(f"\n--- {worker.name}, last lines of {worker.log} ---")
                print(worker.tail())


@pytest.fixture
def publisher(stack_env):
    """This process publishes tasks (the sweep beat would run) to the shared Redis."""
    from recallcases.celery import app

    saved = {"broker_url": app.conf.broker_url, "task_always_eager": app.conf.task_always_eager}
    app.conf.update(broker_url=stack_env["CELERY_BROKER_URL"], task_always_eager=False)
    _drop_broker_connections(app)
    yield app
    app.conf.update(saved)
    _drop_broker_connections(app)

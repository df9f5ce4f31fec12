"""The make targets the README offers a newcomer start with nothing but the README's variables."""

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _newcomer_env(redis_url: str) -> dict:
    # A fresh shell: no DEBUG, no SECRET_KEY, no DATABASE_URL; only what the README names.
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "SECRET_KEY", "DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env["REDIS_URL"] = redis_url
    return env


def _started(target: str, redis_url: str, ready_line: str, tmp_path: Path, timeout: float = 90):
    """Run `make <target>` until it prints `ready_line` or stops; return what it printed."""
    log = tmp_path / f"make-{target}.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            ["make", "--no-print-directory", target],
            cwd=ROOT,
            env=_newcomer_env(redis_url),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and process.poll() is None:
            if ready_line in log.read_text(errors="replace"):
                break
            time.sleep(0.2)
        return log.read_text(errors="replace")
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture
def make_available():
    if not shutil.which("make") or not (ROOT / ".venv" / "bin" / "celery").exists():
        pytest.skip("needs make and the project's .venv (make install)")


@pytest.mark.redis
def test_make_worker_starts_with_only_redis_url(make_available, redis_url, tmp_path):
    output = _started("worker", redis_url, " ready.", tmp_path)

    assert " ready." in output, output[-3000:]
    assert "SECRET_KEY must be set" not in output


@pytest.mark.redis
def test_make_beat_starts_with_only_redis_url(make_available, redis_url, tmp_path):
    output = _started("beat", redis_url, "beat: Starting...", tmp_path)

    assert "beat: Starting..." in output, output[-3000:]


def test_make_worker_without_redis_says_what_it_needs(make_available):
    env = _newcomer_env("")
    del env["REDIS_URL"]

    result = subprocess.run(
        ["make", "--no-print-directory", "worker"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode != 0
    assert "set REDIS_URL" in result.stdout

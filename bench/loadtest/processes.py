"""The load test's processes: started in sessions of their own and stopped in order, an SMTP
sink that counts what it receives, and the CPU each process tree used (from /proc)."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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


def process_children() -> dict[int, list[int]]:
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
    children = process_children()
    sample = {p.name: tree_cpu_seconds(p.popen.pid, children) for p in stack.processes}
    sample["postgres"] = {pid: tree_cpu_seconds(pid, {}) for pid in postgres_backends(database)}
    sample["machine"] = machine_busy()
    sample["at"] = time.monotonic()
    return sample


def redis_answers(redis_client, port: int) -> bool:
    try:
        return redis_client.Redis(port=port, socket_connect_timeout=0.5).ping()
    except redis_client.ConnectionError:
        return False


def http_answers(site: str) -> bool:
    host, _, port = urlsplit(site).netloc.partition(":")
    connection = HTTPConnection(host, int(port), timeout=2)
    try:
        connection.request("GET", "/en/")
        return connection.getresponse().status < 500
    except OSError:
        return False
    finally:
        connection.close()

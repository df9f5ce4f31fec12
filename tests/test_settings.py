"""Production refuses unsafe defaults; a correctly configured production passes check --deploy."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "k8#q2z!v" * 8,
    "ALLOWED_HOSTS": "recalls.example.com",
    "SITE_URL": "https://recalls.example.com",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "DJANGO_SETTINGS_MODULE": "recallcases.settings",
}


def manage(*args, **env):
    # A clean environment: nothing from the test run (or a developer's .env) leaks in.
    environment = {"PATH": os.environ["PATH"], "HOME": str(ROOT / "var"), **env}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_without_secret_key_refuses_to_start():
    result = manage("check", **{**PRODUCTION, "SECRET_KEY": ""})
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off." in result.stderr


def test_production_without_allowed_hosts_refuses_to_start():
    result = manage("check", **{**PRODUCTION, "ALLOWED_HOSTS": ""})
    assert result.returncode != 0
    assert "ALLOWED_HOSTS must be set when DEBUG is off." in result.stderr


def test_production_check_deploy_reports_nothing():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_development_defaults_need_nothing_configured():
    result = manage("check", DEBUG="true")
    assert result.returncode == 0, result.stderr


def test_photos_go_to_s3_when_a_bucket_is_configured():
    code = (
        "from django.core.files.storage import storages; s = storages['default']; "
        "print(type(s).__name__, s.bucket_name, s.default_acl, s.querystring_auth)"
    )
    bucket = {"AWS_STORAGE_BUCKET_NAME": "recall-photos"}
    result = manage("shell", "--no-imports", "-c", code, **PRODUCTION, **bucket)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["S3Storage", "recall-photos", "private", "True"]


def test_photos_stay_on_local_disk_outside_static_by_default():
    code = (
        "from django.core.files.storage import storages; s = storages['default']; "
        "print(type(s).__name__, s.location)"
    )
    result = manage("shell", "--no-imports", "-c", code, DEBUG="true")
    kind, location = result.stdout.split()
    assert kind == "FileSystemStorage"
    assert location == str(ROOT / "var" / "private-media")

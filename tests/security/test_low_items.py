"""The audit's small findings: each attack, and the refusal that now meets it."""

import io
import logging
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.cache import caches
from django.core.management import CommandError, call_command
from django.test import RequestFactory, override_settings

from recallcases.consumer.context_processors import language_links
from recallcases.consumer.views import SUBMITTED_CLAIM
from recallcases.core.log_filters import RedactStatusTokens, redact_status_tokens
from tests.consumer.test_pages import RECALL, file_claim
from tests.factories import ClaimFactory, claim_with_link, staff_user

ROOT = Path(__file__).resolve().parent.parent.parent
PRODUCTION = {
    "PATH": os.environ["PATH"],
    "HOME": str(ROOT / "var"),
    "DEBUG": "false",
    "SECRET_KEY": "k8#q2z!v" * 8,
    "ALLOWED_HOSTS": "recalls.example.com",
    "SITE_URL": "https://recalls.example.com",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "DJANGO_SETTINGS_MODULE": "recallcases.settings",
}


def manage(*args, **environment):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={key: value for key, value in environment.items() if value is not None},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# --- (a) the status link's token leaves the session at the confirmation page's first render ----


@pytest.mark.django_db
def test_status_token_kept_for_the_first_render_only(client, speaker):
    # given: a claim just filed
    confirmation = file_claim(client, speaker).url
    assert "token" in client.session[SUBMITTED_CLAIM]
    # when: the confirmation page shows the link
    first = client.get(confirmation).content.decode()
    assert re.search(r'id="status-link">http://testserver/en/status/', first)
    # then: the token is gone from the session row
    assert "token" not in client.session[SUBMITTED_CLAIM]
    # and a reload shows the reference and says the link was emailed, without the link
    again = client.get(confirmation).content.decode()
    reference = client.session[SUBMITTED_CLAIM]["reference"]
    assert reference in again
    assert "/status/" not in again
    assert "We also emailed it to you" in again


# --- (b) the language switch of a 404 page stays on the site ---------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/%2F%2Fevil.example/", "/%5Cevil.example/", "/%2F/evil.example"])
def test_language_switch_on_a_404_links_to_our_home_page(client, recall, path):
    response = client.get(path)
    assert response.status_code == 404
    links = re.findall(r'href="([^"]+)" lang="', response.content.decode())
    assert links == ["/fr-ca/", "/es-us/"]


def test_language_switch_ignores_a_host_smuggled_into_the_path():
    # the test client reads "//host/..." as an address with a host: build the request by hand
    request = RequestFactory().get("/")
    request.path_info = request.path = "//evil.example/en/anker-speakers-2024/"
    request.META["QUERY_STRING"] = ""
    assert [link["url"] for link in language_links(request)["language_links"]] == [
        "/fr-ca/",
        "/es-us/",
    ]


@pytest.mark.django_db
def test_language_switch_of_a_page_keeps_the_page_and_its_query(client, recall):
    page = client.get(f"{RECALL}?utm_source=email").content.decode()
    assert 'href="/fr-ca/anker-speakers-2024/?utm_source=email" lang="fr-ca"' in page


# --- (c) the demo accounts and their published password stay out of production ---------------


@pytest.mark.django_db
def test_seed_demo_refuses_without_debug(settings):
    from django.contrib.auth import get_user_model

    settings.DEBUG = False
    with pytest.raises(CommandError, match="--allow-demo-accounts"):
        call_command("seed_demo", stdout=io.StringIO())
    assert not get_user_model().objects.filter(username="reviewer").exists()


# --- (d) staff pages are never cached ----------------------------------------------------------


@pytest.mark.django_db
def test_staff_pages_are_not_cached(client):
    claim = ClaimFactory()
    client.force_login(staff_user("claims.view_claim", "claims.view_shipping_details"))
    for url in ["/workspace/", f"/workspace/claims/{claim.reference}/"]:
        cache_control = client.get(url)["Cache-Control"]
        assert "private" in cache_control and "no-store" in cache_control, url


# --- (e) rate limits need Redis in production; an outage is one log line ----------------------


def test_production_without_redis_refuses_to_start():
    result = manage("check", **{**PRODUCTION, "REDIS_URL": None})
    assert result.returncode != 0
    assert "REDIS_URL must be set when DEBUG is off" in result.stderr
    # unless told that one process with its own counters is meant
    allowed = manage("check", **{**PRODUCTION, "REDIS_URL": None}, RATELIMIT_ALLOW_LOCAL_MEMORY="1")
    assert allowed.returncode == 0, allowed.stderr


@pytest.mark.django_db
def test_redis_outage_is_one_log_line_not_a_traceback_per_call(client, recall, caplog, monkeypatch):
    # given: an hour after any earlier outage (another test's), as the filter's clock sees it
    import recallcases.core.log_filters

    later = time.monotonic() + 3600
    monkeypatch.setattr(recallcases.core.log_filters, "monotonic", lambda: later)
    # and the Redis cache as production configures it, with nothing listening
    redis_down = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
            "OPTIONS": {
                "SOCKET_CONNECT_TIMEOUT": 1,
                "SOCKET_TIMEOUT": 1,
                "IGNORE_EXCEPTIONS": True,
            },
        }
    }
    with (
        override_settings(
            CACHES=redis_down,
            DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS=True,
            DJANGO_REDIS_LOGGER="recallcases.cache",
        ),
        caplog.at_level(logging.WARNING),
    ):
        caches["default"].close()
        # when: three serial checks, each several cache calls
        for _ in range(3):
            response = client.post(RECALL + "check/", {"serial": "A3102DMX10000042"})
            assert response.status_code == 200
    # then: one line, no traceback
    outage = [r for r in caplog.records if r.name == "recallcases.cache"]
    assert len(outage) == 1
    assert outage[0].exc_info is None
    assert "Redis is unreachable" in outage[0].getMessage()
    assert "\n" not in outage[0].getMessage()


# --- (f) see test_consumer_input.py; (g) log redaction after percent-decoding ----------------


@pytest.mark.django_db
def test_percent_encoded_status_token_is_redacted(speaker):
    _, token = claim_with_link(product=speaker)
    encoded = "".join(f"%{ord(c):02X}" for c in token)
    for path in [
        f"/en/status/{encoded}/",
        f"/en/%73tatus/{token}/",
        f"/en%2Fstatus%2F{token}/",
        f"/en/status/{token[:5]}{encoded[15:]}/",
        f"/en/status/{encoded.replace('%', '%25')}/",
    ]:
        record = logging.LogRecord(
            "gunicorn.access", logging.INFO, __file__, 1, '"GET %s HTTP/1.1" 200', (path,), None
        )
        RedactStatusTokens().filter(record)
        line = record.getMessage()
        assert "[redacted]" in line, path
        assert token not in line and encoded not in line, path


def test_redaction_never_decodes_a_line_break_into_a_log_line():
    line = redact_status_tokens('"GET /en/status/AAAAAAAAAAAAAAAAAAAA%0AFAKE HTTP/1.1" 200')
    assert "\n" not in line
    assert "/en/status/[redacted]%0AFAKE" in line


def test_lines_without_a_status_link_are_left_alone():
    line = '"GET /en/anker-speakers-2024/?q=%41 HTTP/1.1" 200'
    assert redact_status_tokens(line) == line


# --- (h) SITE_URL is required in production -----------------------------------------------------


def test_production_without_site_url_refuses_to_start():
    result = manage("check", **{**PRODUCTION, "SITE_URL": None})
    assert result.returncode != 0
    assert "SITE_URL must be set when DEBUG is off." in result.stderr

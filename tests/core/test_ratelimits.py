"""The rate limits' counting, in Redis (one round trip for all of a request's limits) and in
local memory: each limit blocks, a client over the daily cap stays blocked, every way to look a
serial up counts on the same counters, and each address counts on its own."""

import logging
import types

import pytest
from django.core.cache import caches
from django.test import Client

import recallcases.core.ratelimits
from recallcases.claims.models import ClaimStatus
from recallcases.claims.transitions import SYSTEM, claim_transition
from tests.factories import claim_with_link
from tests.images import photo_upload

pytestmark = pytest.mark.django_db

CHECK = "/en/anker-speakers-2024/check/"
CHECK_ANY = "/en/check/"
RECALLED = "A3102DMX10000042"
NOT_RECALLED = "A3102DMX10000501"


@pytest.fixture(params=["redis", "local memory"])
def counters(request, settings):
    """The cache the limits count in: Redis as production configures it, or local memory."""
    return _counters(request, settings, request.param)


@pytest.fixture
def redis_counters(request, settings):
    """The limits counting in Redis, as production configures it."""
    return _counters(request, settings, "redis")


def _counters(request, settings, kind):
    if kind == "redis":
        url = request.getfixturevalue("redis_url")
        settings.CACHES = {
            "default": {
                "BACKEND": "django_redis.cache.RedisCache",
                "LOCATION": url,
                "OPTIONS": {
                    "SOCKET_CONNECT_TIMEOUT": 2,
                    "SOCKET_TIMEOUT": 2,
                    "IGNORE_EXCEPTIONS": True,
                },
            }
        }
    else:
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    caches["default"].clear()
    request.addfinalizer(caches["default"].clear)
    return caches["default"]


def clock_at(monkeypatch, seconds: int) -> None:
    monkeypatch.setattr(
        recallcases.core.ratelimits, "time", types.SimpleNamespace(time=lambda: seconds)
    )


def check(client, url=CHECK, **headers):
    return client.post(url, {"serial": RECALLED}, **headers)


def test_the_eleventh_check_in_a_minute_is_refused(client, recall, counters):
    statuses = [check(client).status_code for _ in range(11)]
    assert statuses == [200] * 10 + [429]
    assert "Too many requests" in check(client).content.decode()


def test_a_client_over_the_daily_cap_stays_blocked_when_the_minute_turns(
    client, recall, counters, settings, monkeypatch
):
    # given: a day of 15 checks, 10 a minute
    settings.SERIAL_CHECK_DAILY_CAP = "15/d"
    day_start = 86_400 * 20_000
    minute = 0
    statuses = []
    for n in range(16):
        if n % 8 == 0:  # 8 checks a minute: never the per-minute limit
            minute += 1
        clock_at(monkeypatch, day_start + 60 * minute)
        statuses.append(check(client).status_code)
    # then: the sixteenth is refused
    assert statuses == [200] * 15 + [429]
    # and an hour later, still (refused requests count too)
    clock_at(monkeypatch, day_start + 3600 * 5)
    assert check(client).status_code == 429


def test_the_per_minute_limit_lets_the_client_back_in_the_next_window(
    client, recall, counters, monkeypatch
):
    clock_at(monkeypatch, 86_400 * 20_000)
    assert [check(client).status_code for _ in range(11)][-1] == 429
    clock_at(monkeypatch, 86_400 * 20_000 + 61)
    assert check(client).status_code == 200


def test_the_recall_check_the_check_across_recalls_and_a_corrected_serial_share_the_counters(
    client, recall, speaker, counters
):
    # given: a claim whose reviewer asks for a corrected serial
    claim, token = claim_with_link(product=speaker)
    claim = claim_transition(
        claim_id=claim.pk, to_status=ClaimStatus.INFORMATION_REQUESTED, actor=SYSTEM, note="?"
    )
    status_page = f"/en/status/{token}/"

    def corrected_serial():
        # a serial outside the registry: refused, so the claim keeps waiting for one
        data = {"action": "upload", "photo": photo_upload(), "serial": NOT_RECALLED, "note": ""}
        return client.post(status_page, {**data, "version": claim.version})

    # when: ten serials looked up in a minute, three or four each way
    assert all(check(client).status_code == 200 for _ in range(4))
    assert all(check(client, CHECK_ANY).status_code == 200 for _ in range(3))
    assert all(corrected_serial().status_code == 200 for _ in range(3))
    # then: none of the three ways answers an eleventh
    assert check(client).status_code == 429
    assert check(client, CHECK_ANY).status_code == 429
    assert corrected_serial().status_code == 429


def test_each_address_counts_on_its_own(recall, counters):
    one, other = Client(REMOTE_ADDR="203.0.113.5"), Client(REMOTE_ADDR="203.0.113.6")
    assert [check(one).status_code for _ in range(11)][-1] == 429
    assert [check(other).status_code for _ in range(10)] == [200] * 10
    # an IPv6 client's whole /64 is one client
    first, second = Client(REMOTE_ADDR="2001:db8:1:2::1"), Client(REMOTE_ADDR="2001:db8:1:2::9")
    assert all(check(first).status_code == 200 for _ in range(10))
    assert check(second).status_code == 429


def test_counters_in_redis_expire_with_their_window(client, recall, redis_counters):
    check(client)
    redis = redis_counters.client.get_client()
    keys = [key for key in redis.keys("*") if b"rl:" in key]
    # the minute's counter and the day's, each one after one request
    assert sorted(int(redis.get(key)) for key in keys) == [1, 1]
    assert sorted(redis.ttl(key) for key in keys) == [
        pytest.approx(65, abs=2),
        pytest.approx(86_405, abs=2),
    ]


REDIS_DOWN = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:9/0",
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1, "IGNORE_EXCEPTIONS": True},
    }
}


def test_redis_down_the_check_answers_and_the_outage_is_logged(
    client, recall, settings, caplog, monkeypatch
):
    # given: Redis configured as in production, nothing listening, a day after any outage (another
    # test's moves the clock an hour on)
    import recallcases.core.log_filters

    later = recallcases.core.log_filters.monotonic() + 86_400
    monkeypatch.setattr(recallcases.core.log_filters, "monotonic", lambda: later)
    settings.CACHES = REDIS_DOWN
    settings.DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
    settings.DJANGO_REDIS_LOGGER = "recallcases.cache"
    caches["default"].close()
    # when: more checks than the limit allows
    with caplog.at_level(logging.WARNING):
        statuses = [check(client).status_code for _ in range(12)]
    # then: every one answered (the limits fail open), the outage one line
    assert statuses == [200] * 12
    outage = [r for r in caplog.records if r.name == "recallcases.cache"]
    assert len(outage) == 1 and "Redis is unreachable" in outage[0].getMessage()


def test_redis_down_and_failing_closed_gives_the_429_page_not_an_error(client, recall, settings):
    settings.CACHES = REDIS_DOWN
    settings.RATELIMIT_FAIL_OPEN = False
    caches["default"].close()
    response = check(client)
    assert response.status_code == 429
    assert "Too many requests" in response.content.decode()

"""The serial check's rate limits: per client, not fooled by a forged header, shared via Redis."""

import pytest
from django.core.cache import caches

pytestmark = pytest.mark.django_db

CHECK = "/en/anker-speakers-2024/check/"


def check(client, **headers):
    return client.post(CHECK, {"serial": "A3102DMX10000042"}, **headers)


def test_serial_check_eleventh_in_a_minute_gets_429_page(client, recall):
    for _ in range(10):
        assert check(client).status_code == 200
    response = check(client)
    assert response.status_code == 429
    assert "Too many requests" in response.content.decode()
    assert "wait a minute" in response.content.decode()


def test_serial_check_daily_cap(client, recall, settings):
    settings.SERIAL_CHECK_RATE = "1000/m"
    settings.SERIAL_CHECK_DAILY_CAP = "15/d"
    statuses = [check(client).status_code for _ in range(16)]
    assert statuses == [200] * 15 + [429]


def test_serial_check_forged_forwarded_for_does_not_bypass(client, recall):
    for n in range(10):
        assert check(client, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code == 200
    assert check(client, HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 429


def test_serial_check_behind_trusted_proxy_counts_each_client(client, recall, settings):
    # given: one proxy of ours in front, which appends the address it saw
    settings.TRUSTED_PROXY_COUNT = 1
    for _ in range(10):
        check(client, HTTP_X_FORWARDED_FOR="203.0.113.5")
    # then: that client is blocked, another is not, and a forged first hop changes nothing
    assert check(client, HTTP_X_FORWARDED_FOR="203.0.113.5").status_code == 429
    assert check(client, HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.5").status_code == 429
    assert check(client, HTTP_X_FORWARDED_FOR="203.0.113.6").status_code == 200


def test_serial_check_limit_shared_through_redis(client, recall, settings, redis_url):
    # given: the Redis cache production uses, shared by every web server
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": redis_url,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 2, "SOCKET_TIMEOUT": 2},
        }
    }
    caches["default"].clear()
    # when: ten checks, then an eleventh from "another web server" (a new client, same address)
    for _ in range(10):
        assert check(client).status_code == 200
    from django.test import Client

    # then
    assert check(Client()).status_code == 429
    # and the counters are in Redis itself (their keys start with "rl:")
    assert any(b"rl:" in key for key in caches["default"].client.get_client().keys("*"))
    caches["default"].clear()


def test_claim_form_submissions_limited(client, recall, settings):
    settings.CLAIM_SUBMIT_RATE = "3/h"
    statuses = [client.post("/en/anker-speakers-2024/claim/", {}).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_serial_check_still_answers_when_redis_is_down(client, recall, settings):
    # given: the Redis cache configured as in production, but nothing listens on its port
    settings.CACHES = {
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
    # when / then: the consumer still gets an answer (the limit fails open, and is logged)
    response = check(client)
    assert response.status_code == 200
    assert "Yes, this speaker is recalled." in response.content.decode()

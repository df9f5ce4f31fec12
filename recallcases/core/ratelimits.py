"""Rate limits on public pages, counted per client address (see client_address).

Each limit counts requests in fixed windows aligned to the clock (a minute, a day), each client's
windows shifted by a constant of its own so that they do not all turn at once; every request is
counted, refused or not, so a client over a daily cap stays blocked all day. These are the windows
and cache keys of django-ratelimit, which the site used before: it asked the cache twice per limit
(add, then increment), four Redis round trips for the serial check's two limits, a third of what
the check cost beyond the registry's query. Here, with Redis, all of a request's limits are
counted in one round trip; without Redis (one development process), in local memory.
"""

import hashlib
import re
import time
import zlib
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.shortcuts import render
from django_redis.cache import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from recallcases.core.client_address import client_address

# "10/m", "200/d", "4/7d": so many requests per (so many) seconds, minutes, hours or days.
_RATE = re.compile(r"^(\d+)/(\d*)([smhd])$")
_PERIOD_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# A counter outlives its window a little: a request at the window's last second still finds it.
_EXPIRY_MARGIN_SECONDS = 5


def rate_limited(request):
    """The page a client over a limit gets (429)."""
    return render(request, "consumer/rate_limited.html", status=429)


def over_rate_limit(request, *, group: str, rates: list[str]) -> bool:
    """Count this request against each of `rates` ("10/m") of `group`, for the client's address;
    whether it is over any of them. When the counters cannot be reached (Redis away), the
    request is let through (RATELIMIT_FAIL_OPEN) or refused."""
    client = client_address(request)
    now = int(time.time())
    counters = [_counter(group=group, rate=rate, client=client, now=now) for rate in rates]
    counts = _count(counters)
    if counts is None:
        return not settings.RATELIMIT_FAIL_OPEN
    return any(count > counter.limit for count, counter in zip(counts, counters, strict=True))


@dataclass(frozen=True)
class _Counter:
    key: str
    limit: int
    seconds: int  # how long the counter is kept


def _counter(*, group: str, rate: str, client: str, now: int) -> _Counter:
    match = _RATE.match(rate)
    if match is None:
        raise ValueError(f"Not a rate: {rate!r} (e.g. 10/m, 200/d)")
    limit = int(match.group(1))
    period = int(match.group(2) or 1) * _PERIOD_SECONDS[match.group(3)]
    window_end = now - now % period + zlib.crc32(client.encode()) % period
    if window_end < now:
        window_end += period
    # django-ratelimit's key for the same group, rate, client and window: the release that
    # stopped using it did not start every client's counts again.
    named = f"{group}:{rate}{limit}/{period}s{client}{window_end}"
    return _Counter(
        key="rl:" + hashlib.sha256(named.encode()).hexdigest(),
        limit=limit,
        seconds=period + _EXPIRY_MARGIN_SECONDS,
    )


def _count(counters: list[_Counter]) -> list[int] | None:
    """Add one to each counter (a new one starts at one and expires with its window); the counts
    after, or None when the cache could not count."""
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        return _count_in_redis(cache, counters)
    counts = []
    for counter in counters:
        try:
            counts.append(
                1 if cache.add(counter.key, 1, counter.seconds) else cache.incr(counter.key)
            )
        except ValueError:  # gone between the add and the increment
            return None
    return counts


def _count_in_redis(cache: RedisCache, counters: list[_Counter]) -> list[int] | None:
    # One round trip: MULTI, then per counter SET NX (the new counter and its expiry) and INCR,
    # then EXEC. The keys are the cache's own (its prefix and version); django-redis stores an
    # integer as Redis's plain number, so the cache reads these counters as any other.
    try:
        pipeline = cache.client.get_client(write=True).pipeline(transaction=True)
        for counter in counters:
            key = cache.client.make_key(counter.key)
            pipeline.set(key, 0, ex=counter.seconds, nx=True)
            pipeline.incr(key)
        replies = pipeline.execute()
    except (RedisConnectionError, RedisTimeoutError, OSError):
        # As django-redis logs the cache calls it lets fail (DJANGO_REDIS_LOGGER: one line per
        # outage, see core.log_filters).
        if cache.logger is not None:
            cache.logger.exception("Exception ignored")
        return None
    return [int(count) for count in replies[1::2]]

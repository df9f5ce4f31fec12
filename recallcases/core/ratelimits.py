"""Rate limits on public pages, counted per client address (see client_address)."""

from django.shortcuts import render
from django_ratelimit.core import is_ratelimited


def rate_limited(request, exception=None):
    return render(request, "consumer/rate_limited.html", status=429)


def over_rate_limit(request, *, group: str, rates: list[str]) -> bool:
    # Each limit counts every request, so a client over the daily cap stays blocked all day.
    over = [
        is_ratelimited(request, group=f"{group}:{rate}", key="ip", rate=rate, increment=True)
        for rate in rates
    ]
    return any(over)

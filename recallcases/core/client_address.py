"""The address a request came from, for rate limits, trusting only configured proxies."""

import ipaddress

from django.conf import settings


def client_address(request) -> str:
    """The client's IP address: REMOTE_ADDR, or the address that our own proxies saw.

    X-Forwarded-For is written by the client as much as by proxies, so only its last
    TRUSTED_PROXY_COUNT entries (appended by our own proxies) are believed. With no trusted
    proxy, the header is ignored and a forged one changes nothing.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    trusted = settings.TRUSTED_PROXY_COUNT
    if trusted <= 0:
        return remote
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    if len(hops) < trusted:
        return remote
    candidate = hops[-trusted]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote

"""The address a request came from, for rate limits and the sign-in lockout, trusting only
configured proxies."""

import ipaddress

from django.conf import settings

# One IPv6 subscriber is given a whole /64 (and can pick any address in it at will): counting
# per address would give them 2**64 tries, so an IPv6 client is counted by its /64.
IPV6_CLIENT_PREFIX = 64


def client_address(request) -> str:
    """The client's IP address: REMOTE_ADDR, or the address that our own proxies saw.

    X-Forwarded-For is written by the client as much as by proxies, so only its last
    TRUSTED_PROXY_COUNT entries (appended by our own proxies) are believed. With no trusted
    proxy, the header is ignored and a forged one changes nothing. An IPv6 address stands for
    its /64 (the network's first address, e.g. 2001:db8:1:2::); an IPv4 address for itself.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    trusted = settings.TRUSTED_PROXY_COUNT
    candidate = remote
    if trusted > 0:
        hops = [
            h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()
        ]
        if len(hops) >= trusted:
            candidate = hops[-trusted]
    try:
        address = ipaddress.ip_address(candidate)
    except ValueError:
        if candidate == remote:
            return remote
        try:
            address = ipaddress.ip_address(remote)
        except ValueError:
            return remote
    return _client_of(address)


def _client_of(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    if address.version == 6:
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        network = ipaddress.ip_network(f"{address}/{IPV6_CLIENT_PREFIX}", strict=False)
        return str(network.network_address)
    return str(address)

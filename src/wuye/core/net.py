"""The address a request comes from, the one way every part of Wuye reads it.

Behind a reverse proxy the connecting address (``REMOTE_ADDR``) is the proxy's, the same for every
visitor; the visitor's address is in ``X-Forwarded-For``, which each proxy extends with the address
that connected to it. Anybody can send that header, so it is believed only as far as the proxies
named in ``TRUSTED_PROXIES`` (``WUYE_TRUSTED_PROXIES``) wrote it: reading the chain from the right
(the hop nearest to us), every hop that is a trusted proxy is skipped, and the first one that is not
is the client. Whatever lies to the left of it was written by the client and is ignored. With no
trusted proxies (the default) the header is ignored altogether.

Rate limits count per ``address_bucket``: an IPv4 address, or the /64 network of an IPv6 address
(one subscriber is usually given a whole /64 and can pick any address in it).
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings

IPv6_BUCKET_PREFIX = 64

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _parse(text: str) -> Address | None:
    text = (text or "").strip()
    if text.startswith("[") and "]" in text:  # "[2001:db8::1]:443"
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # "203.0.113.7:5100"
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


@lru_cache(maxsize=8)
def _networks(configured: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in configured)


def trusted_proxies() -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """The configured proxies as networks; a bad entry raises ValueError (settings check it at start)."""
    return _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ())))


def _trusted(address: Address) -> bool:
    return any(address.version == network.version and address in network for network in trusted_proxies())


def client_address(request) -> str:
    """The client's IP address as text ("" if the connection has none we can read)."""
    peer = _parse(request.META.get("REMOTE_ADDR", ""))
    if peer is None:
        return ""
    if not _trusted(peer):
        return str(peer)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop for hop in (part.strip() for part in forwarded.split(",")) if hop]
    client = peer
    for hop in reversed(hops):
        address = _parse(hop)
        if address is None:  # a trusted proxy never writes this: stop at the last hop we believe
            break
        client = address
        if not _trusted(address):
            break
    return str(client)


def address_bucket(address: str) -> str:
    """What a rate limit counts ``address`` as: the address itself (IPv4) or its /64 (IPv6)."""
    parsed = _parse(address)
    if parsed is None:
        return address or ""
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/{IPv6_BUCKET_PREFIX}", strict=False))
    return str(parsed)

"""The address of the person at the other end of a request, decided once for everything.

Behind a reverse proxy every request arrives from the proxy's address, and the person's own
address is in the ``X-Forwarded-For`` header the proxy adds. That header is only as true as
whoever sent it: anyone can send one, so it is believed only when the request came from one of
``settings.TRUSTED_PROXIES``. Sign-in lockouts (django-axes) and the audit log
(django-auditlog) both need the real address: with the proxy's address, a few failed sign-ins
for a colleague's e-mail would lock them out for everyone, and every audit row would name the
proxy. django-auditlog reads ``X-Forwarded-For`` itself, believing it from anyone, so this
middleware runs first, writes the client's address to ``REMOTE_ADDR`` and removes the header.
"""

import ipaddress
from functools import partial

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

_FORWARDING_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PORT")


def trusted_networks(addresses) -> tuple:
    """``TRUSTED_PROXIES`` parsed: addresses, or networks such as ``10.0.0.0/8``."""
    networks = []
    for address in addresses:
        try:
            networks.append(ipaddress.ip_network(address.strip(), strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"TRUSTED_PROXIES: {address!r} is not an IP address or network (e.g. 10.0.0.5 or 10.0.0.0/24)."
            ) from None
    return tuple(networks)


def _parse(text: str):
    """An address from a header entry, without a port ("1.2.3.4:5678", "[2001:db8::1]:443")."""
    text = text.strip()
    if text.startswith("[") and "]" in text:
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _is_trusted(address, networks) -> bool:
    return address is not None and any(address in network for network in networks)


def client_address(remote_addr: str, forwarded_for: str, networks) -> str:
    """The client's address: ``remote_addr`` unless it is a trusted proxy, in which case the
    right-most ``forwarded_for`` entry that is not itself a trusted proxy. Entries to the left
    of that one were written by the client and prove nothing."""
    if not forwarded_for or not _is_trusted(_parse(remote_addr), networks):
        return remote_addr
    closest = remote_addr
    for entry in reversed(forwarded_for.split(",")):
        address = _parse(entry)
        if address is None:
            # Garbage where an address should be: the last proxy we believe is as far as we know.
            return closest
        closest = str(address)
        if not _is_trusted(address, networks):
            return closest
    return closest


class ClientAddressMiddleware:
    """Put the client's address in ``REMOTE_ADDR`` and drop the forwarding headers, before any
    other middleware reads them (first in MIDDLEWARE)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.resolve = partial(client_address, networks=trusted_networks(settings.TRUSTED_PROXIES))

    def __call__(self, request):
        meta = request.META
        meta["REMOTE_ADDR"] = self.resolve(meta.get("REMOTE_ADDR", ""), meta.get("HTTP_X_FORWARDED_FOR", ""))
        for header in _FORWARDING_HEADERS:
            meta.pop(header, None)
        return self.get_response(request)


def axes_client_address(request) -> str | None:
    """For django-axes (AXES_CLIENT_IP_CALLABLE): the address ClientAddressMiddleware settled on."""
    return request.META.get("REMOTE_ADDR") or None

"""The client address sign-in throttling counts failures against.

One header, named in settings and set by our own proxy, is trusted as it is; nothing is
parsed out of a client-supplied X-Forwarded-For list, which a client could pad.
"""

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    return request.META.get(settings.CLIENT_IP_HEADER) or request.META.get("REMOTE_ADDR", "")


def client_ip_key(group: str, request: HttpRequest) -> str:
    """The same address, as django-ratelimit asks for its key."""
    return client_ip(request)

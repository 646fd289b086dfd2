"""Sign-in throttling as an authentication backend."""

from axes.backends import AxesStandaloneBackend


class SignInThrottleBackend(AxesStandaloneBackend):
    """django-axes' lockout check, for sign-ins that come with a request.

    Every sign-in over HTTP (the sign-in page, the admin's) passes its request. Code that
    authenticates without one (the test client's login(), a shell, a management command)
    has no client to throttle, and axes would raise: the next backend decides alone.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)

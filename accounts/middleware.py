from django.utils.cache import add_never_cache_headers


class PrivatePagesMiddleware:
    """A signed-in learner's pages are theirs: no shared proxy or browser cache may keep
    them (`Cache-Control: private, no-store`, …). Responses that say how they may be
    cached (public credential pages, static files) keep what they say."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # Cache-Control first: a public response must not read the session (that alone
        # would add "Vary: Cookie" and make every visitor's copy a different one).
        if not response.has_header("Cache-Control") and request.user.is_authenticated:
            add_never_cache_headers(response)
        return response

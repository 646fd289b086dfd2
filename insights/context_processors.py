from django.http import HttpRequest

from insights.access import can_see_insights


class _Lazy:
    """True when the user sees some course's insights, asked only if a template renders
    the navigation (never for an htmx fragment), at most once per request."""

    def __init__(self, request: HttpRequest):
        self.request = request
        self.value: bool | None = None

    def __bool__(self) -> bool:
        if self.value is None:
            self.value = can_see_insights(user=self.request.user)
        return self.value


def insights_link(request: HttpRequest) -> dict:
    return {"insights_link": _Lazy(request)}

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from achievements.services import announcements_claim


def announcements(request: HttpRequest) -> dict:
    """Unlocks not yet shown to the learner, claimed only if a page renders the toasts.

    Lazy, so admin pages and htmx fragments that never show the toast region neither
    query nor mark anything as announced.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"achievement_announcements": SimpleLazyObject(lambda: announcements_claim(user=user))}

"""Rendered learner pages, cached until something they show changes.

A dashboard or course page is the same HTML until the learner's progress or
achievements, or the site's content, change; rendering it is most of what it costs. So
its fragments are cached under two tokens that the database holds and every cached page
reads, in one query: the learner's (`LearnerProfile.page_token`, replaced by every write
of the learner, which all take `accounts.services.learner_lock`) and the content's
(`ContentToken`, replaced by every edit of courses, lessons and achievements:
`content_changed`). A write replaces its token inside its own transaction, so a reader
sees the new token exactly when it can see the write: no page older than the database
is ever served, whatever the cache keeps, loses, or is restored from. Nothing is ever
deleted; fragments under tokens no one reads any more expire.

Several server processes must share one cache (REDIS_URL), or one process would serve
what another has made stale; settings.py caches nothing in production without one. The
cache is an accelerator, never a dependency: when it cannot be reached, django-redis
answers every read with a miss (IGNORE_EXCEPTIONS), and pages are rendered from the
database. Keys carry the release through the cache's KEY_PREFIX (settings.RELEASE).
"""

from collections.abc import Callable, Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.db.models import Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.models import LearnerProfile, page_token_new
from achievements.services import announcements_claim
from courses.models import ContentToken
from insights.access import sees_every_course, teaches_a_course

# Fragments are only reachable through current tokens: the timeout only returns the
# memory of what no one will ask for again.
FRAGMENT_TIMEOUT = 60 * 60
CONTENT_TOKEN_PK = 1


def content_changed() -> None:
    """Retire every learner's cached pages when this transaction commits.

    Model signals call it for every save and delete of a course, lesson or achievement
    (`courses/signals.py`); call it after `QuerySet.update()` or `bulk_create()` on
    those models, which send none.
    """
    token = page_token_new()
    if not ContentToken.objects.filter(pk=CONTENT_TOKEN_PK).update(token=token):
        ContentToken.objects.bulk_create(
            [ContentToken(pk=CONTENT_TOKEN_PK, token=token)], ignore_conflicts=True
        )


def _tokens(*, user: AbstractBaseUser) -> tuple[str, str | None] | None:
    """The learner's and the content's tokens, one query; None without the learner's row
    (nothing would name their pages: they are rendered, not cached)."""
    content = ContentToken.objects.filter(pk=CONTENT_TOKEN_PK).values("token")
    return (
        LearnerProfile.objects.filter(user=user)
        .values_list("page_token", Subquery(content))
        .first()
    )


def cached_page_render(
    request: HttpRequest,
    template_name: str,
    *,
    parts: Iterable[str],
    build: Callable[[], dict],
) -> HttpResponse:
    """Render a learner page whose context `build()` makes, cached for next time.

    `build()` returns strings (fragments already rendered), which the page places
    around what is per request: the CSRF token, the CSP nonce, messages, the toasts.
    Whether the learner has anything to announce is remembered the same way, so a page
    with nothing to announce asks the database nothing more than the tokens.
    """
    user = request.user
    tokens = _tokens(user=user)
    if tokens is None:
        context = {**build(), "achievement_announcements": announcements_claim(user=user)}
        return render(request, template_name, context)
    learner_token, content_token = tokens
    key = ":".join(("page", str(user.pk), learner_token, str(content_token), *parts))
    nothing_to_announce = ":".join(("announced", str(user.pk), learner_token))
    found = cache.get_many([key, nothing_to_announce])
    context = found.get(key)
    if context is None:
        # Whether they teach (the navigation's insights link) is cached with the page:
        # naming instructors replaces the content token (courses/signals.py), and asking
        # on every hit cost a cached page 0.8 ms of CPU (docs/performance.md).
        context = {**build(), "teaches": teaches_a_course(user=user)}
        cache.set(key, context, FRAGMENT_TIMEOUT)
    announcements = []
    if not found.get(nothing_to_announce):
        # Claimed now, so nothing is left until an award replaces the learner's token.
        announcements = announcements_claim(user=user)
        cache.set(nothing_to_announce, True, FRAGMENT_TIMEOUT)
    return render(
        request,
        template_name,
        {
            **context,
            "achievement_announcements": announcements,
            "insights_link": context["teaches"] or sees_every_course(user=user),
        },
    )

"""Rendered learner pages, cached until something they show changes.

A dashboard or course page is the same HTML until the learner's progress, their
achievements or the course content change, and rendering it is most of what the page
costs. So fragments are cached under *generation* keys: each learner has a token, the
site's content has one, and every cache key carries both. A write replaces a token,
which makes every fragment built on the old one unreachable; nothing is deleted, and
nothing stale can be read. Replacing a token is one cache write, whatever the number of
fragments.

Writers call `learner_changed` (services: completions, awards, revocations; the admin's
deletes of a learner's rows) or `content_changed` (courses, lessons and achievements
saved or deleted, see `courses/signals.py`). Each replaces the token at once, so the
writer's own next read sees its change, and again after commit: a reader that fetched
the new token and read the database before the commit would otherwise have cached the
old state under it. Keys also carry the release (`RELEASE`), so a deployment never
serves pages rendered by the code it replaced.

Several server processes must share one cache (REDIS_URL), or one process would keep
serving what another has made stale; settings.py caches nothing in production without
one.

The cache is an accelerator, never a dependency: when it cannot be reached, pages are
rendered from the database and writes go through (logged). A token that could not be
replaced then leaves that learner's pages as they were until their next write, or for
FRAGMENT_TIMEOUT at most.
"""

import hashlib
import logging
import os
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from redis import RedisError

logger = logging.getLogger(__name__)
# What a cache that cannot be reached raises (Redis; a socket error from any backend).
CACHE_ERRORS = (RedisError, OSError)

CONTENT_KEY = "generation:content"
NOTHING_TO_ANNOUNCE = "nothing-to-announce"
# Fragments are only reachable through current tokens; the timeouts return the memory
# of what no one will ask for again, and bound how long a page can stay stale when its
# token could not be replaced. A token that expires is replaced by a new one, which
# only costs a rebuild.
FRAGMENT_TIMEOUT = 60 * 60
TOKEN_TIMEOUT = 24 * FRAGMENT_TIMEOUT


def _learner_key(user_id: int) -> str:
    return f"generation:learner:{user_id}"


def _new_token() -> str:
    return secrets.token_hex(8)


def _release() -> str:
    """What the running code renders with: a page cached by another release (older
    templates, other hashed static file names, other context) must not be served.

    RELEASE from the environment if the deployment names its releases; otherwise a
    digest of the templates, the apps' code and the static files' manifest, the same on
    every server running the same files.
    """
    digest = hashlib.blake2b(digest_size=6)  # a short key part, safe in any cache
    if os.environ.get("RELEASE"):
        digest.update(os.environ["RELEASE"].encode())
        return digest.hexdigest()
    base = Path(settings.BASE_DIR)
    files = sorted(
        [
            *base.glob("templates/**/*.html"),
            *base.glob("courses/**/*.py"),
            *base.glob("achievements/**/*.py"),
            *base.glob("progress_site/**/*.py"),
            Path(settings.STATIC_ROOT, "staticfiles.json"),
        ]
    )
    for path in files:
        if path.is_file():
            digest.update(str(path.relative_to(base)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


RELEASE = _release()


@dataclass(frozen=True)
class Generation:
    """The tokens a learner's cached fragments are valid for."""

    user_id: int
    learner: str
    content: str

    def key(self, *parts: str) -> str:
        return ":".join(
            ("fragment", RELEASE, str(self.user_id), self.learner, self.content, *parts)
        )


def generation_get(*, user_id: int) -> Generation:
    """The learner's current generation: one cache read, and a write the first time.

    Call it before reading the database for what will be cached: a write that commits
    after that read replaces a token, so the fragment lands under a dead key.
    """
    keys = [_learner_key(user_id), CONTENT_KEY]
    tokens = cache.get_many(keys)
    for key in keys:
        if key not in tokens:
            # The first request to need it creates it; one racing it reads the winner's.
            token = _new_token()
            tokens[key] = token if cache.add(key, token, timeout=TOKEN_TIMEOUT) else cache.get(key)
    return Generation(user_id=user_id, learner=tokens[keys[0]], content=tokens[keys[1]])


def cached_page_render(
    request: HttpRequest, template_name: str, *, parts: Iterable[str], build: Callable[[], dict]
) -> HttpResponse:
    """Render a learner page whose context `build()` makes, cached for next time.

    `build()` returns strings (fragments already rendered), which the page places
    around what is per request: the CSRF token, the CSP nonce, messages, the toasts.
    Whether the learner has anything to announce is read in the same round trip, so a
    page with nothing to announce does not ask the database.
    """
    try:
        generation = generation_get(user_id=request.user.pk)
        key, announced = generation.key(*parts), generation.key(NOTHING_TO_ANNOUNCE)
        found = cache.get_many([key, announced])
    except CACHE_ERRORS:
        logger.warning("Cache unavailable: page rendered from the database", exc_info=True)
        return render(request, template_name, build())
    context = found.get(key)
    if context is None:
        context = build()
        try:
            cache.set(key, context, timeout=FRAGMENT_TIMEOUT)
        except CACHE_ERRORS:
            logger.warning("Cache unavailable: page not kept", exc_info=True)
    if found.get(announced):
        context = {**context, "achievement_announcements": ()}
    return render(request, template_name, context)


def nothing_to_announce_get(*, user_id: int) -> tuple[bool, str | None]:
    """Whether this learner is known to have nothing to announce, and the key to say so.

    Set that key (`nothing_to_announce_set`) after claiming what was pending. The key is
    taken here, before the claim reads the database: an award committed after that read
    replaces the learner's token, which makes the key moot rather than wrong.
    """
    try:
        key = generation_get(user_id=user_id).key(NOTHING_TO_ANNOUNCE)
        return bool(cache.get(key)), key
    except CACHE_ERRORS:
        logger.warning("Cache unavailable: announcements read from the database", exc_info=True)
        return False, None


def nothing_to_announce_set(key: str | None) -> None:
    if key is None:
        return
    try:
        cache.set(key, True, timeout=FRAGMENT_TIMEOUT)
    except CACHE_ERRORS:
        logger.warning("Cache unavailable", exc_info=True)


def learner_changed(*, user_ids: Iterable[int]) -> None:
    """Invalidate these learners' fragments, now and once the transaction commits."""
    keys = [_learner_key(user_id) for user_id in user_ids]
    if not keys:
        return

    def replace() -> None:
        try:
            cache.set_many({key: _new_token() for key in keys}, timeout=TOKEN_TIMEOUT)
        except CACHE_ERRORS:
            logger.error("Cache unavailable: learners' pages may be stale", exc_info=True)

    replace()
    transaction.on_commit(replace)


def content_changed() -> None:
    """Invalidate every learner's fragments, now and once the transaction commits."""

    def replace() -> None:
        try:
            cache.set(CONTENT_KEY, _new_token(), timeout=TOKEN_TIMEOUT)
        except CACHE_ERRORS:
            logger.error("Cache unavailable: pages may be stale", exc_info=True)

    replace()
    transaction.on_commit(replace)

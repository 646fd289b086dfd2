"""Cached learner pages go stale when what they show is edited, however it is edited.

Receivers rather than service calls because courses, lessons and achievements are
written by the admin, its inlines and its bulk delete, by fixtures and the shell: only
the model signals see every one of those (not `QuerySet.update()` or `bulk_create()`,
which send none: call `content_changed()` after those). They do nothing but invalidate
the cache. A learner's own rows are written by services, which invalidate it themselves,
and deleted by hand only in the admin (`LearnerRowsAdmin`).
"""

from django.conf import settings
from django.db.models.signals import post_delete, post_save

from achievements.models import Achievement
from courses.models import Course, Lesson
from progress_site.learner_cache import content_changed, learner_changed


def _content_changed(**kwargs) -> None:
    content_changed()


def _learner_deleted(*, instance, **kwargs) -> None:
    # A database may give a deleted learner's id to the next one (SQLite does).
    learner_changed(user_ids=[instance.pk])


def connect() -> None:
    for model in (Course, Lesson, Achievement):
        for signal in (post_save, post_delete):
            signal.connect(_content_changed, sender=model, dispatch_uid=f"content-{model.__name__}")
    post_delete.connect(_learner_deleted, sender=settings.AUTH_USER_MODEL, dispatch_uid="learner")

"""Cached learner pages go stale when the content they show is edited, however it is edited.

Receivers rather than service calls because courses and lessons are written by the
admin, its inlines and its bulk delete, by fixtures and the shell: only the model
signals see every one of those (not `QuerySet.update()` or `bulk_create()`, which send
none: call `content_changed()` after those). They do nothing but replace the content
token, inside the writing transaction. A learner's own rows are written under their
lock, which replaces their token (`accounts.services.learner_lock`).
"""

from django.db.models import Model
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import Signal

from courses.page_cache import content_changed

# Sent once a transaction in which learners completed a course has committed (sender:
# Course), with `course` and `user_ids`: those learners, or None for "every learner now
# complete in this course" (lessons removed). What listens (credentials) sees the commit.
course_completed = Signal()


def _content_changed(**kwargs) -> None:
    content_changed()


def content_signals_connect(*models: type[Model]) -> None:
    for model in models:
        for signal in (post_save, post_delete):
            signal.connect(_content_changed, sender=model, dispatch_uid=f"content-{model.__name__}")


def _instructors_changed(*, action: str, **kwargs) -> None:
    # Cached pages hold whether their learner teaches (their insights link).
    if action.startswith("post_"):
        content_changed()


def instructors_signal_connect(through: type[Model]) -> None:
    m2m_changed.connect(_instructors_changed, sender=through, dispatch_uid="content-instructors")

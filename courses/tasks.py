"""Background work of courses, on Django's tasks framework (see achievements/tasks.py)."""

from functools import partial

from django.db import transaction
from django.tasks import task

from courses.models import Course


@task
def course_progress_refresh_task(*, course_id: int, lessons_removed: bool) -> None:
    """Bring every learner's progress in a course in line with its lessons now."""
    from courses.services import course_completion_refresh

    course = Course.objects.filter(pk=course_id).first()
    if course is not None:  # deleted meanwhile: its progress went with it
        course_completion_refresh(course=course, lessons_removed=lessons_removed)


def course_progress_refresh_schedule(*, course: Course, lessons_removed: bool) -> None:
    """Refresh on the worker once the lesson edit commits: with 70,000 learners in a
    course that is seconds of work, never a web request's."""
    transaction.on_commit(
        partial(
            course_progress_refresh_task.enqueue,
            course_id=course.pk,
            lessons_removed=lessons_removed,
        )
    )

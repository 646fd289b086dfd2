"""Background work of achievements, on Django's tasks framework (settings.TASKS).

In production the backend is django-tasks-db and `manage.py db_worker` runs the tasks;
`make run` and the tests run them inline, after the commit that enqueued them. Services
never enqueue: the admin does, through `achievement_backfill_schedule`.
"""

from functools import partial

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.tasks import task

from achievements.models import Achievement, Backfill


@task
def achievement_backfill_task(*, backfill_id: int) -> int:
    """Award one achievement to every learner who already qualifies; returns how many."""
    from achievements.services import backfill_run

    return backfill_run(backfill_id=backfill_id)


def achievement_backfill_schedule(
    *, achievement: Achievement, requested_by: AbstractBaseUser | None = None
) -> Backfill:
    """Queue a backfill for the worker, enqueued once the current transaction commits
    (so the worker sees the saved rule; it reads the achievement afresh and awards
    nothing if it was deactivated meanwhile)."""
    from achievements.services import backfill_queue

    backfill = backfill_queue(achievement=achievement, requested_by=requested_by)
    transaction.on_commit(partial(achievement_backfill_task.enqueue, backfill_id=backfill.pk))
    return backfill

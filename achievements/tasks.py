"""Background work of achievements, through Django's tasks framework.

Services never enqueue: the admin does, through `achievement_backfill_schedule`; each
task imports the service it runs inside its body, so neither module imports the other.
"""

from functools import partial

from django.db import transaction
from django.tasks import task

from achievements.models import Achievement


@task
def achievement_backfill_task(*, achievement_id: int) -> int:
    """Award one achievement to every learner who already qualifies; returns how many."""
    from achievements.services import achievement_backfill

    return achievement_backfill(achievement_id=achievement_id)


def achievement_backfill_schedule(*, achievement: Achievement) -> None:
    """Backfill through the tasks framework once the current transaction commits.

    After commit, so the task (possibly on another worker) sees the saved rule; the task
    reads the achievement afresh and does nothing if it was deactivated meanwhile.
    """
    transaction.on_commit(partial(achievement_backfill_task.enqueue, achievement_id=achievement.pk))

"""Background work of achievements, through Django's tasks framework.

Services are imported inside each task, so that services can enqueue tasks without
either module importing the other at load.
"""

from django.tasks import task


@task
def achievement_backfill_task(*, achievement_id: int) -> int:
    """Award one achievement to every learner who already qualifies; returns how many."""
    from achievements.services import achievement_backfill

    return achievement_backfill(achievement_id=achievement_id)

"""Background work of achievements, through Django's tasks framework.

The default backend (settings.TASKS) runs tasks immediately, in the process that
enqueues them; a large site can point TASKS at a worker backend without code changes.
"""

from django.tasks import task

from achievements import services


@task
def achievement_backfill_task(*, achievement_id: int) -> int:
    """Award one achievement to every learner who already qualifies; returns how many."""
    return services.achievement_backfill(achievement_id=achievement_id)

"""Background work of credentials, through Django's tasks framework.

Enqueued after the completion's commit (`apps._course_completed`); the task reads the
learners' state when it runs, so it may run late, twice, or on another worker.
"""

from django.tasks import task


@task
def certificates_issue_task(*, course_id: int, user_ids: list[int] | None) -> int:
    """Issue the course's certificate to these learners (None: everyone) who completed it."""
    from credentials.services import certificates_issue

    return certificates_issue(course_id=course_id, user_ids=user_ids)

from django.apps import AppConfig


def _course_completed(*, course, user_ids, **kwargs) -> None:
    from credentials.tasks import certificates_issue_task

    certificates_issue_task.enqueue(course_id=course.pk, user_ids=user_ids)


class CredentialsConfig(AppConfig):
    name = "credentials"

    def ready(self) -> None:
        from courses.signals import course_completed

        # The one hook into the completion: courses never import credentials.
        course_completed.connect(_course_completed, dispatch_uid="credentials-certificates")

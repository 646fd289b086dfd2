from django.apps import AppConfig
from django.db.models.signals import post_migrate


def instructors_group_ensure(*, using: str = "default", **kwargs) -> None:
    """The Instructors group holding "Can view course insights", after every migrate:
    made by the data migration (courses 0006), and made again if it was deleted, or by
    a database flush (as tests do), which only post_migrate survives."""
    from django.contrib.auth.models import Group, Permission
    from django.contrib.contenttypes.models import ContentType

    from courses.models import Course

    content_type = ContentType.objects.db_manager(using).get_for_model(Course)
    permission, _ = Permission.objects.using(using).get_or_create(
        content_type=content_type,
        codename="view_course_insights",
        defaults={"name": "Can view course insights"},
    )
    group, _ = Group.objects.using(using).get_or_create(name="Instructors")
    group.permissions.add(permission)


class InsightsConfig(AppConfig):
    name = "insights"
    verbose_name = "Course insights"

    def ready(self) -> None:
        post_migrate.connect(instructors_group_ensure, sender=self, dispatch_uid="instructors")

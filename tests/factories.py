"""One factory per model; tests build exactly the data they talk about."""

import factory
from django.contrib.auth import get_user_model

from accounts.models import LearnerProfile
from achievements.models import Achievement, Rule, Trigger, UserAchievement
from courses.models import Course, Lesson, LessonCompletion, UserProgress
from courses.services import progress_recompute

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"learner{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password(PASSWORD)


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Course {n}")
    slug = factory.Sequence(lambda n: f"course-{n}")
    description = "A course about things worth knowing."
    is_published = True
    position = factory.Sequence(int)

    @factory.post_generation
    def lessons(course, create, extracted, **kwargs):
        """`CourseFactory(lessons=5)` creates the course with five lessons."""
        if create and extracted:
            LessonFactory.create_batch(extracted, course=course)


class LessonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lesson

    course = factory.SubFactory(CourseFactory)
    title = factory.Sequence(lambda n: f"Lesson {n}")
    slug = factory.Sequence(lambda n: f"lesson-{n}")
    body = "Read this, then mark it complete."
    position = factory.Sequence(lambda n: n + 1)


class UserProgressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UserProgress

    user = factory.SubFactory(UserFactory)
    course = factory.SubFactory(CourseFactory)


class LessonCompletionFactory(factory.django.DjangoModelFactory):
    """A completion made outside the services, with what they keep beside it: the
    learner's progress row in the course, counting it."""

    class Meta:
        model = LessonCompletion
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    lesson = factory.SubFactory(LessonFactory)

    @factory.post_generation
    def progress(completion, create, extracted, **kwargs):
        if create:
            progress_rows_in_line(pairs=[(completion.user_id, completion.lesson.course_id)])


def progress_rows_in_line(*, pairs) -> None:
    """Progress rows for these (learner, course) pairs, as the services would keep them."""
    pairs = set(pairs)
    UserProgress.objects.bulk_create(
        [UserProgress(user_id=u, course_id=c) for u, c in pairs], ignore_conflicts=True
    )
    for course in Course.objects.filter(pk__in={c for _, c in pairs}):
        progress_recompute(course=course, user_ids=[u for u, c in pairs if c == course.pk])


class AchievementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Achievement

    name = factory.Sequence(lambda n: f"Achievement {n}")
    description = "Awarded for steady progress."
    icon = "trophy"
    rule = Rule.LESSONS_COMPLETED
    threshold = 1
    course = None


class UserAchievementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UserAchievement

    user = factory.SubFactory(UserFactory)
    achievement = factory.SubFactory(AchievementFactory)
    trigger = Trigger.LESSON_COMPLETION


class LearnerProfileFactory(factory.django.DjangoModelFactory):
    """Sets a learner's profile fields: every account already has its profile."""

    class Meta:
        model = LearnerProfile

    user = factory.SubFactory(UserFactory)
    time_zone = "Europe/Paris"

    @classmethod
    def _create(cls, model_class, user, **fields):
        model_class.objects.filter(user=user).update(**fields)
        return model_class.objects.get(user=user)

"""The benchmark's data set: a school a few months in, built with bulk_create in seconds.

2,000 learners, 20 published courses of 10 to 40 lessons, 30 achievements of every rule
type. Learners have started a few courses each and finished some, with the achievements
that earns already unlocked and announced, so a completion during the run does what it
does in production (checks 30 rules, rarely unlocks one) rather than a first-day burst.
Deterministic: the same seed builds the same school.
"""

import random
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from accounts.models import LearnerProfile
from achievements.models import Achievement, Rule, Trigger, UserAchievement
from achievements.rules import LearnerStats, rule_progress
from courses.models import Course, Lesson, LessonCompletion, UserProgress

LEARNERS = 2_000
COURSES = 20
LESSONS_PER_COURSE = (10, 40)
PASSWORD = "benchmark password, never used anywhere else"
BODY = "A paragraph of lesson text, about as long as a real one.\n\n" * 12


@dataclass
class Learner:
    username: str
    # Lessons not completed yet, in course order: what the load generator completes.
    todo: list[tuple[str, str, int]] = field(default_factory=list)


@transaction.atomic
def dataset_create(*, seed: int = 5) -> list[Learner]:
    """Create the school; return every learner with the lessons they have left."""
    rng = random.Random(seed)
    now = timezone.now()
    password = make_password(PASSWORD)  # one hash for all: hashing costs ~1 s each
    users = get_user_model().objects.bulk_create(
        get_user_model()(
            username=f"learner{i:04d}", email=f"learner{i:04d}@example.com", password=password
        )
        for i in range(LEARNERS)
    )
    # What signing up makes for every account (bulk_create sends no signal).
    LearnerProfile.objects.bulk_create(LearnerProfile(user=user) for user in users)
    courses = Course.objects.bulk_create(
        Course(title=f"Course {i + 1}", slug=f"course-{i + 1}", is_published=True, position=i)
        for i in range(COURSES)
    )
    lessons_by_course = {}
    for course in courses:
        count = rng.randint(*LESSONS_PER_COURSE)
        lessons_by_course[course.id] = Lesson.objects.bulk_create(
            Lesson(course=course, title=f"Lesson {n}", slug=f"lesson-{n}", body=BODY, position=n)
            for n in range(1, count + 1)
        )
    achievements = Achievement.objects.bulk_create(_achievements(courses))

    learners, completions, progress, unlocks = [], [], [], []
    for user in users:
        done_by_course = {}
        for course in rng.sample(courses, rng.choice([0, 1, 1, 2, 2, 3, 4, 5])):
            lessons = lessons_by_course[course.id]
            done = rng.randint(0, len(lessons))
            done_by_course[course.id] = done
            completions += [LessonCompletion(user=user, lesson=les) for les in lessons[:done]]
            progress.append(
                UserProgress(
                    user=user,
                    course=course,
                    current_lesson=lessons[done] if done < len(lessons) else None,
                    completed_at=now if done == len(lessons) else None,
                )
            )
        stats = LearnerStats(
            lessons_by_course={k: v for k, v in done_by_course.items() if v},
            completed_course_ids=frozenset(
                k for k, v in done_by_course.items() if v == len(lessons_by_course[k])
            ),
            # Every earlier completion is stamped now: a one-day streak at most.
            longest_streak=1 if any(done_by_course.values()) else 0,
        )
        unlocks += [
            UserAchievement(user=user, achievement=a, announced_at=now, trigger=Trigger.BACKFILL)
            for a in achievements
            if rule_progress(a, stats).reached
        ]
        learners.append(
            Learner(
                username=user.username,
                todo=[
                    (course.slug, lesson.slug, lesson.id)
                    for course in courses
                    for lesson in lessons_by_course[course.id][done_by_course.get(course.id, 0) :]
                ],
            )
        )
    LessonCompletion.objects.bulk_create(completions, batch_size=5_000)
    UserProgress.objects.bulk_create(progress, batch_size=5_000)
    UserAchievement.objects.bulk_create(unlocks, batch_size=5_000)
    return learners


def _achievements(courses: list[Course]) -> list[Achievement]:
    """Thirty achievements, every rule type represented."""
    items = [
        Achievement(
            name=f"{n} lessons",
            description=f"Complete {n} lessons.",
            rule=Rule.LESSONS_COMPLETED,
            threshold=n,
        )
        for n in (1, 5, 10, 25, 50, 100, 150, 200, 300, 400)
    ]
    items += [
        Achievement(
            name=f"{n} courses",
            description=f"Finish {n} courses.",
            rule=Rule.COURSES_COMPLETED,
            threshold=n,
        )
        for n in (1, 2, 3, 5, 10)
    ]
    items += [
        Achievement(
            name=f"Finished {c.title}",
            description=f"Finish {c.title}.",
            rule=Rule.COURSE_COMPLETED,
            course=c,
        )
        for c in courses[:10]
    ]
    items += [
        Achievement(
            name=f"Into {c.title}",
            description=f"Five lessons of {c.title}.",
            rule=Rule.COURSE_LESSONS_COMPLETED,
            threshold=5,
            course=c,
        )
        for c in courses[10:15]
    ]
    return items

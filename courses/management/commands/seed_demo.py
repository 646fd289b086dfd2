"""Demo data for `make run`: accounts, courses of different lengths, achievements, and a
school of a few hundred learners with three months of history, so every page (and every
chart of course insights) has something to show.

The history is written the way the app's own writes leave it: completions with their
moments, progress rows brought in line by `progress_recompute` (the service admins'
corrections use), awards made by the achievements backfill and dated to the completion
that earned them, as the live check records them. Deterministic (a seeded
`random.Random`, dates relative to now) and idempotent: history is only added where
there is none.
"""

import random
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import F, OuterRef, Subquery
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import LearnerProfile
from accounts.services import learners_lock
from accounts.usernames import username_skeleton
from achievements.models import Achievement, Rule, Trigger, UserAchievement
from achievements.rules import LearnerStats, rule_reached, rule_values
from achievements.services import achievement_backfill
from achievements.streaks import local_days, longest_streak
from courses.models import Course, Lesson, LessonCompletion, UserProgress
from courses.services import progress_recompute

COURSES = [
    (
        "Welcome to the platform",
        "A single short lesson: how courses, progress and achievements work here.",
        ["How learning works here"],
    ),
    (
        "Python foundations",
        "Variables, control flow, functions and data structures, one small step at a time.",
        [
            "Hello, Python",
            "Numbers and strings",
            "Lists and tuples",
            "Dictionaries and sets",
            "Conditions",
            "Loops",
            "Functions",
        ],
    ),
    (
        "Web development with Django",
        "Build and ship a real web application: models, views, templates, forms and tests.",
        [
            "Projects and apps",
            "Models and migrations",
            "The admin",
            "URLs and views",
            "Templates",
            "Forms",
            "Authentication",
            "Querysets in depth",
            "Transactions",
            "Testing with pytest",
            "htmx for interactivity",
            "Static files",
            "Security checklist",
            "Deploying",
        ],
    ),
    (
        "Writing accessible interfaces",
        "Semantics, keyboard support, colour contrast and live regions, with examples.",
        ["Why accessibility", "Semantic HTML", "Keyboard first", "Colour and contrast"],
    ),
]

INSTRUCTOR_COURSES = ("python-foundations", "writing-accessible-interfaces")

ACHIEVEMENTS = [
    ("First steps", "Complete your first lesson.", "star", Rule.LESSONS_COMPLETED, 1, None),
    ("Getting going", "Complete 5 lessons.", "flame", Rule.LESSONS_COMPLETED, 5, None),
    ("Dedicated learner", "Complete 20 lessons.", "rocket", Rule.LESSONS_COMPLETED, 20, None),
    ("Course finisher", "Complete a whole course.", "trophy", Rule.COURSES_COMPLETED, 1, None),
    ("Collector", "Complete three courses.", "medal", Rule.COURSES_COMPLETED, 3, None),
    (
        "Pythonista",
        "Finish Python foundations.",
        "book",
        Rule.COURSE_COMPLETED,
        None,
        "python-foundations",
    ),
    (
        "Halfway through Django",
        "Complete 7 lessons of Web development with Django.",
        "flame",
        Rule.COURSE_LESSONS_COMPLETED,
        7,
        "web-development-with-django",
    ),
]


def lesson_body(title: str, course: str) -> str:
    return (
        f"In this lesson of {course} we cover {title.lower()}.\n\n"
        "Read through the explanation, try the examples on your own machine, and mark the "
        "lesson complete when you are ready to move on. You can always come back: "
        "progress is saved as you go, and you can mark a lesson as not complete.\n\n"
        "Take your time. Small steps, done every day, add up faster than you think."
    )


# The demo learner as the README's screenshots show them: the short course finished, two
# under way, one not started; one or two lessons a day over the last week (a streak).
# (days ago, course slug, lessons of it completed that day, in order.)
DEMO_HISTORY = [
    (6, "welcome-to-the-platform", 1),
    (6, "python-foundations", 1),
    (5, "python-foundations", 2),
    (4, "python-foundations", 1),
    (3, "web-development-with-django", 2),
    (2, "web-development-with-django", 1),
    (1, "web-development-with-django", 2),
    (0, "web-development-with-django", 1),
]

LEARNERS = 300
HISTORY_DAYS = 90
SEED = 20261203

FIRST_NAMES = [
    "Amara",
    "Ben",
    "Chloé",
    "Dmitri",
    "Elif",
    "Farid",
    "Grace",
    "Hiro",
    "Ines",
    "Jonas",
    "Kavya",
    "Luca",
    "Maya",
    "Noah",
    "Olu",
    "Priya",
    "Quentin",
    "Rosa",
    "Sami",
    "Tomás",
    "Uma",
    "Viktor",
    "Wen",
    "Ximena",
    "Yusuf",
    "Zoë",
]
LAST_NAMES = [
    "Adeyemi",
    "Berg",
    "Costa",
    "Dubois",
    "Eriksen",
    "Fischer",
    "García",
    "Haddad",
    "Ito",
    "Jensen",
    "Kowalski",
    "Lopez",
    "Müller",
    "Nakamura",
    "Okafor",
    "Petrov",
    "Quinn",
    "Rossi",
    "Silva",
    "Tanaka",
    "Umarov",
    "Varga",
    "Weber",
    "Yilmaz",
    "Zhou",
]


@dataclass(frozen=True)
class Persona:
    """How a kind of learner goes about it."""

    weight: int  # how common
    courses: tuple[float, float, float, float]  # chance of starting each demo course
    finish: float  # chance of finishing a course started (else they stall part-way)
    gap_days: float  # mean days between two study days
    same_day: float  # chance the next lesson follows on the same day


PERSONAS = (
    Persona(weight=15, courses=(0, 0, 0, 0), finish=0, gap_days=0, same_day=0),  # never start
    Persona(weight=35, courses=(0.8, 0.5, 0.15, 0.2), finish=0.15, gap_days=4, same_day=0.15),
    Persona(weight=35, courses=(0.9, 0.75, 0.4, 0.35), finish=0.5, gap_days=2, same_day=0.3),
    Persona(weight=15, courses=(1, 0.95, 0.85, 0.7), finish=0.85, gap_days=1, same_day=0.5),
)
# Lessons where learners who stall most often stop (the drop-off an instructor looks for):
# they complete the lessons before it and never this one.
HARD_LESSONS = {"loops", "querysets-in-depth", "testing-with-pytest", "keyboard-first"}
STUDY_HOURS = (7, 8, 12, 13, 17, 18, 19, 20, 20, 21, 21, 22)


def _study_moment(rng: random.Random, day: datetime) -> datetime:
    """A moment on this local day, at an hour people study."""
    return day.replace(hour=rng.choice(STUDY_HOURS), minute=rng.randrange(60))


def _course_history(
    rng: random.Random, persona: Persona, lessons: list[Lesson], start: datetime, now: datetime
) -> list[tuple[Lesson, datetime]]:
    """One learner's completions in one course, in order, from `start` until they finish,
    stall, or reach now (still under way)."""
    if len(lessons) > 1 and rng.random() >= persona.finish:
        # Stall after 1..n-1 lessons: early more often, before a hard lesson much more.
        weights = [
            (12 if lessons[done].slug in HARD_LESSONS else 1) / done**0.3
            for done in range(1, len(lessons))
        ]
        lessons = lessons[: rng.choices(range(1, len(lessons)), weights)[0]]
    history, moment = [], start
    for lesson in lessons:
        history.append((lesson, moment))
        if rng.random() < persona.same_day:
            moment += timedelta(minutes=rng.randint(6, 40))
        else:
            day = moment + timedelta(days=1 + int(rng.expovariate(1 / persona.gap_days)))
            if day.weekday() >= 5 and rng.random() < 0.5:  # quieter weekends
                day += timedelta(days=7 - day.weekday())
            moment = _study_moment(rng, day)
    # Cut at now only here, so the draws (and every other learner) never depend on the hour.
    return [(lesson, at) for lesson, at in history if at <= now]


def _school_plan(
    *, courses: list[Course], lessons: dict[int, list[Lesson]], now: datetime
) -> list[tuple[dict, list[tuple[Lesson, datetime]]]]:
    """Every learner of the school: their account's fields and their completions."""
    rng = random.Random(SEED)
    today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    plan = []
    for n in range(1, LEARNERS + 1):
        persona = rng.choices(PERSONAS, [p.weight for p in PERSONAS])[0]
        joined = _study_moment(rng, today - timedelta(days=rng.randint(0, HISTORY_DAYS)))
        joined = min(joined, now - timedelta(hours=1))
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        account = {
            "username": f"learner{n:03d}",
            "first_name": first,
            "last_name": last,
            "email": f"learner{n:03d}@example.com",
            "date_joined": joined,
        }
        history, start = [], joined + timedelta(minutes=rng.randint(5, 60 * 24 * 3))
        for course, chance in zip(courses, persona.courses, strict=True):
            if rng.random() < chance:
                history += _course_history(rng, persona, lessons[course.pk], start, now)
                start += timedelta(days=rng.expovariate(1 / 6), minutes=rng.randint(5, 600))
        plan.append((account, history))
    return plan


def _demo_plan(*, lessons_by_slug: dict[str, list[Lesson]], now: datetime):
    """The demo learner's completions (`DEMO_HISTORY`), a few minutes apart within a day."""
    history, done = [], Counter()
    base = now - timedelta(minutes=30)
    for days_ago, slug, count in DEMO_HISTORY:
        for _ in range(count):
            history.append((lessons_by_slug[slug][done[slug]], days_ago))
            done[slug] += 1
    # Same offset within every day: consecutive entries land on consecutive local days.
    return [
        (lesson, base - timedelta(days=days_ago, minutes=7 * (len(history) - i)))
        for i, (lesson, days_ago) in enumerate(history)
    ]


def history_write(*, histories: dict[int, list[tuple[Lesson, datetime]]]) -> None:
    """Write these learners' completions (none before) and what the app keeps beside them:
    progress rows brought in line by `progress_recompute` (counts, completion dates,
    "Continue"), started when the first lesson of the course was completed; then the
    achievements they earned, through the backfill, dated as the live check dates them.
    The caller holds the learners' locks."""
    LessonCompletion.objects.bulk_create(
        LessonCompletion(user_id=user_id, lesson=lesson, completed_at=at)
        for user_id, history in histories.items()
        for lesson, at in history
    )
    pairs = {(u, lesson.course_id) for u, history in histories.items() for lesson, _ in history}
    UserProgress.objects.bulk_create(UserProgress(user_id=u, course_id=c) for u, c in pairs)
    for course in Course.objects.filter(pk__in={c for _, c in pairs}):
        progress_recompute(course=course, user_ids=[u for u, c in pairs if c == course.pk])
    first = LessonCompletion.objects.filter(
        user_id=OuterRef("user_id"), lesson__course_id=OuterRef("course_id")
    ).order_by("completed_at")
    UserProgress.objects.filter(user_id__in=histories).update(
        started_at=Subquery(first.values("completed_at")[:1])
    )
    achievements_award_seeded(user_ids=list(histories))


def achievements_award_seeded(*, user_ids: list[int]) -> None:
    """Award what these learners' histories earned (the backfill, as `award_achievements`
    runs it), then date each award as the live check would have made it: at the
    completion that met the rule, with that lesson as its trigger, announced (shown in
    that completion's response), so none of them toasts on a first visit."""
    values = cache(lambda rule, course_id: rule_values(rule=rule, course_id=course_id))
    achievements = list(Achievement.objects.filter(is_active=True).order_by("pk"))
    for each in achievements:
        achievement_backfill(achievement_id=each.pk, values=values(each.rule, each.course_id))
    earned = qualifying_moments(user_ids=user_ids, achievements=achievements)
    awards = []
    for award in UserAchievement.objects.filter(
        user_id__in=user_ids, trigger=Trigger.BACKFILL, announced_at__isnull=True
    ).only("pk", "user_id", "achievement_id"):
        if (moment := earned.get((award.user_id, award.achievement_id))) is not None:
            award.unlocked_at, award.trigger_lesson_id = moment
            awards.append(award)
    # Two columns differ per award; the other two follow in one plain statement
    # (a CASE per column is most of what bulk_update costs).
    UserAchievement.objects.bulk_update(awards, ["unlocked_at", "trigger_lesson"], batch_size=500)
    UserAchievement.objects.filter(pk__in=[a.pk for a in awards]).update(
        announced_at=F("unlocked_at"), trigger=Trigger.LESSON_COMPLETION
    )


def qualifying_moments(
    *, user_ids: list[int], achievements: list[Achievement]
) -> dict[tuple[int, int], tuple[datetime, int]]:
    """(learner, achievement) -> (moment, lesson) of the completion after which the rule
    was first met: each learner's completions replayed in order, judged by `rule_progress`
    as the live check judges each completion."""
    totals = Counter(Lesson.objects.values_list("course_id", flat=True))
    zone = timezone.get_current_timezone()
    streaks = any(a.rule == Rule.STREAK_DAYS for a in achievements)
    rows = (
        LessonCompletion.objects.filter(user_id__in=user_ids)
        .order_by("user_id", "completed_at", "pk")
        .values_list("user_id", "lesson_id", "lesson__course_id", "completed_at")
    )
    by_user = defaultdict(list)
    for row in rows:
        by_user[row[0]].append(row[1:])
    earned = {}
    for user_id, completions in by_user.items():
        done, moments = Counter(), []
        for lesson_id, course_id, at in completions:
            done[course_id] += 1
            moments.append(at)
            stats = LearnerStats(
                lessons_by_course=done,
                completed_course_ids=frozenset(c for c, n in done.items() if n >= totals[c]),
                longest_streak=longest_streak(local_days(moments, zone)) if streaks else 0,
            )
            for achievement in achievements:
                key = (user_id, achievement.pk)
                if key not in earned and rule_reached(achievement, stats):
                    earned[key] = (at, lesson_id)
    return earned


class Command(BaseCommand):
    help = (
        "Create demo accounts (demo/demo, instructor/instructor, admin/admin), courses, "
        "achievements and a school of learners with 90 days of history. Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Run even with DEBUG off (never in production)."
        )

    @transaction.atomic
    def handle(self, *args, force: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "Refusing to create accounts with known passwords while DEBUG is off; "
                "pass --force if this really is a demo site."
            )
        users = get_user_model()
        if not users.objects.filter(username="admin").exists():
            users.objects.create_superuser("admin", "admin@example.com", "admin")
        if not users.objects.filter(username="demo").exists():
            users.objects.create_user("demo", "demo@example.com", "demo", first_name="Demo")

        for position, (title, description, lessons) in enumerate(COURSES):
            course, _ = Course.objects.get_or_create(
                slug=slugify(title),
                defaults={
                    "title": title,
                    "description": description,
                    "is_published": True,
                    "position": position,
                },
            )
            for number, lesson_title in enumerate(lessons, start=1):
                Lesson.objects.get_or_create(
                    course=course,
                    slug=slugify(lesson_title),
                    defaults={
                        "title": lesson_title,
                        "position": number,
                        "body": lesson_body(lesson_title, title),
                    },
                )

        # Teaches two courses and sees their insights only (not staff: no admin).
        instructor = users.objects.filter(username="instructor").first()
        if instructor is None:
            instructor = users.objects.create_user(
                "instructor", "instructor@example.com", "instructor", first_name="Ines",
                last_name="Hart",
            )  # fmt: skip
            instructor.groups.add(Group.objects.get_or_create(name="Instructors")[0])
            for slug in INSTRUCTOR_COURSES:
                Course.objects.get(slug=slug).instructors.add(instructor)

        for name, description, icon, rule, threshold, course_slug in ACHIEVEMENTS:
            Achievement.objects.get_or_create(
                name=name,
                defaults={
                    "description": description,
                    "icon": icon,
                    "rule": rule,
                    "threshold": threshold,
                    "course": Course.objects.get(slug=course_slug) if course_slug else None,
                },
            )
        learners = self._history_seed(demo=users.objects.get(username="demo"))
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo ready: {Course.objects.count()} courses, "
                f"{Achievement.objects.count()} achievements, {learners} learners with history. "
                "Sign in as demo/demo (learner), instructor/instructor or admin/admin (staff)."
            )
        )

    def _history_seed(self, *, demo) -> int:
        """The demo learner's history and the school's, each only if it has none yet;
        returns how many learners of the school have started a course."""
        users = get_user_model()
        now = timezone.now()
        courses = list(Course.objects.filter(slug__in=[slugify(c[0]) for c in COURSES]))
        lessons = {c.pk: list(c.lessons.order_by("position")) for c in courses}
        histories = {}
        if not UserProgress.objects.filter(user=demo).exists():
            by_slug = {c.slug: lessons[c.pk] for c in courses}
            histories[demo.pk] = _demo_plan(lessons_by_slug=by_slug, now=now)
            # Signed up before their first lesson, as anyone is.
            users.objects.filter(pk=demo.pk).update(
                date_joined=histories[demo.pk][0][1] - timedelta(hours=2)
            )
        plan = _school_plan(courses=courses, lessons=lessons, now=now)
        names = [account["username"] for account, _ in plan]
        # Any of its names taken (the school seeded before, or someone signed up as one):
        # no school, rather than history added to an account that is not the school's.
        if not users.objects.filter(username__in=names).exists():
            password = make_password(None)  # unusable: these learners never sign in
            created = users.objects.bulk_create(
                users(password=password, **account) for account, _ in plan
            )
            LearnerProfile.objects.bulk_create(
                LearnerProfile(user=user, username_skeleton=username_skeleton(user.username))
                for user in created
            )
            ids = dict(users.objects.filter(username__in=names).values_list("username", "pk"))
            histories |= {ids[account["username"]]: h for account, h in plan if h}
        if histories:
            learners_lock(user_ids=histories)
            history_write(histories=histories)
        return (
            UserProgress.objects.filter(user__username__in=names).values("user").distinct().count()
        )

"""Demo data for `make run`: accounts, courses of different lengths, achievements."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.text import slugify

from achievements.models import Achievement, Rule
from courses.models import Course, Lesson

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


class Command(BaseCommand):
    help = "Create demo accounts (demo/demo, admin/admin), courses and achievements. Idempotent."

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
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo ready: {Course.objects.count()} courses, "
                f"{Achievement.objects.count()} achievements. "
                "Sign in as demo/demo (learner) or admin/admin (staff)."
            )
        )

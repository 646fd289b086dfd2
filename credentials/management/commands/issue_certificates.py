"""Backfill: issue the certificate of every course to the learners who completed it and
hold none (courses finished before certificates existed). The same service the
completion's task runs; safe to run again at any time."""

from django.core.management.base import BaseCommand, CommandError

from courses.models import Course
from credentials.services import ISSUE_BATCH_SIZE, certificates_issue


class Command(BaseCommand):
    help = "Issue course certificates to every learner who completed a course and has none."

    def add_arguments(self, parser):
        parser.add_argument("--course", metavar="SLUG", help="Only this course.")
        parser.add_argument("--batch-size", type=int, default=ISSUE_BATCH_SIZE)

    def handle(self, *args, course: str | None, batch_size: int, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        courses = Course.objects.order_by("pk")
        if course is not None:
            courses = courses.filter(slug=course)
            if not courses.exists():
                raise CommandError(f"No course with slug {course!r}.")
        total = 0
        for each in courses:
            count = certificates_issue(course_id=each.pk, batch_size=batch_size)
            total += count
            self.stdout.write(f"{each.title}: issued {count} certificate(s)")
        self.stdout.write(self.style.SUCCESS(f"Done: issued {total} certificate(s)."))

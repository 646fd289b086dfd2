"""Backfill: award achievements to every learner who already qualifies.

The same service as the admin's save and action, run here in the foreground; safe to
run again at any time (learners who hold an achievement, or had it revoked, are
skipped). Each rule's counts are read once for every achievement that shares them.
"""

from functools import cache

from django.core.management.base import BaseCommand, CommandError

from achievements.models import Achievement
from achievements.rules import rule_values
from achievements.services import BACKFILL_BATCH_SIZE, achievement_backfill

BAR_WIDTH = 30


class Command(BaseCommand):
    help = "Award active achievements to every learner who already qualifies."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Only report how many would be awarded."
        )
        parser.add_argument("--achievement", type=int, metavar="ID", help="Only this one.")
        parser.add_argument("--batch-size", type=int, default=BACKFILL_BATCH_SIZE)

    def handle(self, *args, dry_run: bool, achievement: int | None, batch_size: int, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        achievements = Achievement.objects.filter(is_active=True).order_by("rule", "course", "pk")
        if achievement is not None:
            achievements = achievements.filter(pk=achievement)
            if not achievements.exists():
                raise CommandError(f"No active achievement with id {achievement}.")
        values = cache(lambda rule, course_id: rule_values(rule=rule, course_id=course_id))
        verb = "would award" if dry_run else "awarded"
        total = 0
        for each in achievements:
            count = achievement_backfill(
                achievement_id=each.pk,
                batch_size=batch_size,
                dry_run=dry_run,
                values=values(each.rule, each.course_id),
                progress=self._bar(each) if self.stdout.isatty() else None,
            )
            total += count
            self.stdout.write(f"{each.name} (id {each.pk}): {verb} {count} learner(s)")
        self.stdout.write(self.style.SUCCESS(f"Done: {verb} {total} award(s)."))

    def _bar(self, achievement: Achievement):
        """A progress bar on a terminal, redrawn in place after each batch."""

        def draw(learners: int, done: int, awarded: int) -> None:
            filled = BAR_WIDTH * done // learners if learners else BAR_WIDTH
            self.stdout.write(
                f"\r{achievement.name[:30]:30} [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] "
                f"{done}/{learners} learners, {awarded} awarded",
                ending="" if done < learners else "\r\033[K",
            )
            self.stdout.flush()

        return draw

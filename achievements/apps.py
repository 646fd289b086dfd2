from django.apps import AppConfig


class AchievementsConfig(AppConfig):
    name = "achievements"

    def ready(self) -> None:
        from achievements.models import Achievement
        from courses.signals import content_signals_connect

        # Achievements are shown on every learner page: editing one is a content change.
        content_signals_connect(Achievement)

from django.apps import AppConfig


class CoursesConfig(AppConfig):
    name = "courses"

    def ready(self) -> None:
        from courses.models import Course, Lesson
        from courses.signals import content_signals_connect, instructors_signal_connect

        content_signals_connect(Course, Lesson)
        instructors_signal_connect(Course.instructors.through)

from django.contrib import admin
from django.db.models import Count

from courses.models import Course, Lesson, LessonCompletion, UserProgress
from courses.services import course_completion_refresh


class LessonInline(admin.TabularInline):
    model = Lesson
    fields = ["position", "title", "slug", "body"]
    prepopulated_fields = {"slug": ["title"]}
    ordering = ["position"]
    extra = 1


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "is_published", "position", "lesson_count", "created_at"]
    list_editable = ["is_published", "position"]
    list_filter = ["is_published"]
    search_fields = ["title", "slug", "description"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [LessonInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(lesson_count=Count("lessons"))

    @admin.display(description="lessons", ordering="lesson_count")
    def lesson_count(self, course: Course) -> int:
        return course.lesson_count

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Lessons may have been added or removed: keep completion dates true.
        course_completion_refresh(course=form.instance)


@admin.register(UserProgress)
class UserProgressAdmin(admin.ModelAdmin):
    list_display = ["user", "course", "current_lesson", "started_at", "completed_at"]
    list_filter = ["course", ("completed_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__username", "user__email", "course__title"]
    list_select_related = ["user", "course", "current_lesson"]
    raw_id_fields = ["user"]
    date_hierarchy = "started_at"

    def get_readonly_fields(self, request, obj=None):
        # Progress is derived from completions; editing it by hand would make it lie.
        return ["user", "course", "current_lesson", "started_at", "completed_at"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(LessonCompletion)
class LessonCompletionAdmin(admin.ModelAdmin):
    list_display = ["user", "lesson", "course", "completed_at"]
    list_filter = ["lesson__course"]
    search_fields = ["user__username", "lesson__title", "lesson__course__title"]
    list_select_related = ["user", "lesson__course"]
    date_hierarchy = "completed_at"
    readonly_fields = ["user", "lesson", "completed_at"]

    @admin.display(ordering="lesson__course__title")
    def course(self, completion: LessonCompletion) -> Course:
        return completion.lesson.course

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

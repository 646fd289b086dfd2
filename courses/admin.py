from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, F, Max
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils.functional import cached_property

from courses.models import Course, Lesson, LessonCompletion, UserProgress
from courses.services import completions_delete
from courses.tasks import course_progress_refresh_schedule
from insights.access import insight_courses


class LessonInlineForm(forms.ModelForm):
    def validate_constraints(self):
        # A position may be taken by a lesson that moves elsewhere in the same save (a
        # swap): the formset checks positions among all the rows instead.
        exclude = self._get_validation_exclusions() | {"position"}
        try:
            self.instance.validate_constraints(exclude=exclude)
        except ValidationError as error:
            self._update_errors(error)


class LessonInlineFormSet(BaseInlineFormSet):
    """Saves reordered lessons even though positions are unique within a course.

    Rows are saved one at a time, so swapping two positions would collide halfway.
    Lessons that move or go are first shifted past the highest position, all by the same
    amount (so they stay distinct), then saved at their new places.
    """

    def save(self, commit=True):
        if commit:
            self._shift_moving_lessons()
        return super().save(commit)

    def _shift_moving_lessons(self) -> None:
        moving = [
            form.instance.pk
            for form in self.initial_forms
            if form in self.deleted_forms or "position" in form.changed_data
        ]
        if moving:
            lessons = Lesson.objects.filter(course=self.instance)
            past_the_end = (lessons.aggregate(Max("position"))["position__max"] or 0) + 1
            lessons.filter(pk__in=moving).update(position=F("position") + past_the_end)


class LessonInline(admin.TabularInline):
    model = Lesson
    form = LessonInlineForm
    formset = LessonInlineFormSet
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
    # Searched by username (the user admin's search): a school has thousands of users.
    autocomplete_fields = ["instructors"]
    inlines = [LessonInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(lesson_count=Count("lessons"))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The course's insights a click away, for those who may see them."""
        course = self.get_object(request, object_id)  # None for a wrong id: the admin says so
        url = None
        if course and insight_courses(user=request.user).filter(pk=course.pk).exists():
            url = reverse("insights:course", args=[course.slug])
        extra_context = {**(extra_context or {}), "insights_url": url}
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description="lessons", ordering="lesson_count")
    def lesson_count(self, course: Course) -> int:
        return course.lesson_count

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        removed = any(f.deleted_objects for f in formsets)
        if removed or any(f.new_objects for f in formsets):
            # Lessons were added or removed: learners' progress follows, on the worker.
            course_progress_refresh_schedule(course=form.instance, lessons_removed=removed)


class CappedCountPaginator(Paginator):
    """Counts at most CAP rows: a count of every row of a table of millions reads all of
    them, on every page view. Past CAP, the changelist says "more than CAP"
    (templates/admin/pagination.html); filters and searches narrow it down."""

    CAP = 10_000

    @cached_property
    def count(self) -> int:
        return self.object_list[: self.CAP + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > self.CAP


class LargeTableAdmin(admin.ModelAdmin):
    """A changelist that stays fast over millions of rows: an indexed default order,
    no full count, no date hierarchy (its year list reads every row), a search an index
    can serve (a username's beginning), and the rows' relations without their long
    texts."""

    paginator = CappedCountPaginator
    show_full_result_count = False
    search_fields = ["^user__username"]
    search_help_text = "The beginning of a learner's username."
    deferred_fields: tuple[str, ...] = ()

    def get_queryset(self, request):
        return super().get_queryset(request).defer(*self.deferred_fields)

    def get_search_results(self, request, queryset, search_term):
        """The learners whose username begins with the term are found first (a small
        table), then their rows through the index on the learner: a search in one SQL
        statement made PostgreSQL walk every row newest first, hoping to meet theirs."""
        term = search_term.strip()
        if not term:
            return queryset, False
        learners = get_user_model().objects.filter(username__istartswith=term)
        return queryset.filter(user__in=list(learners.values_list("pk", flat=True)[:1000])), False


class NotDeletedAloneAdmin(admin.ModelAdmin):
    """Rows never deleted alone from the admin, only with what owns them (their learner,
    their course): no delete action, no delete page. The delete permission stays: the
    owner's delete page checks it for the rows it takes along."""

    def get_actions(self, request, action_location=admin.ActionLocation.CHANGE_LIST):
        actions = super().get_actions(request, action_location=action_location)
        actions.pop("delete_selected", None)
        return actions

    def delete_view(self, request, object_id, extra_context=None):
        raise PermissionDenied(f"{self.opts.verbose_name_plural} are not deleted alone.")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "show_delete": False}
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(UserProgress)
class UserProgressAdmin(LargeTableAdmin, NotDeletedAloneAdmin):
    """Read-only: progress is derived from completions (delete those to correct it). A
    row deleted alone made the dashboard offer "Start" while the course page counted
    the learner's completions."""

    list_display = [
        "user",
        "course",
        "lessons_done",
        "current_lesson",
        "started_at",
        "completed_at",
    ]
    list_filter = ["course", ("completed_at", admin.EmptyFieldListFilter)]
    list_select_related = ["user", "course", "current_lesson"]
    deferred_fields = ("course__description", "current_lesson__body")
    raw_id_fields = ["user"]

    def get_readonly_fields(self, request, obj=None):
        # Progress is derived from completions; editing it by hand would make it lie.
        return ["user", "course", "lessons_done", "current_lesson", "started_at", "completed_at"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(LessonCompletion)
class LessonCompletionAdmin(LargeTableAdmin):
    """Completions can be deleted (a correction), never added or edited; deleting one,
    or many, brings the learners' progress in line (`completions_delete`)."""

    list_display = ["user", "lesson", "course", "completed_at"]
    list_filter = ["lesson__course"]
    list_select_related = ["user", "lesson__course"]
    deferred_fields = ("lesson__body", "lesson__course__description")
    readonly_fields = ["user", "lesson", "completed_at"]

    @admin.display(ordering="lesson__course__title")
    def course(self, completion: LessonCompletion) -> Course:
        return completion.lesson.course

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def delete_model(self, request, obj) -> None:
        completions_delete(completions=LessonCompletion.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset) -> None:
        completions_delete(completions=queryset)

from django.contrib import admin
from django.db.models import Count

from achievements.forms import AchievementAdminForm
from achievements.models import Achievement, UserAchievement


@admin.register(Achievement)
class AchievementAdmin(admin.ModelAdmin):
    form = AchievementAdminForm
    list_display = ["name", "rule", "threshold", "course", "is_active", "unlock_count"]
    list_filter = ["is_active", "rule", "course"]
    search_fields = ["name", "description"]
    list_select_related = ["course"]
    fieldsets = [
        (None, {"fields": ["name", "description", "icon", "is_active"]}),
        ("Rule", {"fields": ["rule", "threshold", "course"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(unlock_count=Count("unlocks"))

    @admin.display(description="learners unlocked", ordering="unlock_count")
    def unlock_count(self, achievement: Achievement) -> int:
        return achievement.unlock_count


@admin.register(UserAchievement)
class UserAchievementAdmin(admin.ModelAdmin):
    list_display = ["user", "achievement", "unlocked_at", "announced_at"]
    list_filter = ["achievement", ("announced_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__username", "user__email", "achievement__name"]
    list_select_related = ["user", "achievement"]
    raw_id_fields = ["user"]
    date_hierarchy = "unlocked_at"
    readonly_fields = ["unlocked_at", "announced_at"]

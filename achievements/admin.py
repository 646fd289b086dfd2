from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.forms.forms import NON_FIELD_ERRORS
from django.template.response import TemplateResponse
from django.templatetags.static import static
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime

from achievements.forms import AchievementAdminForm, ManualAwardForm, RevokeForm
from achievements.models import Achievement, Backfill, UserAchievement
from achievements.rules import rule_describe
from achievements.selectors import achievement_award_pending_user_ids
from achievements.services import achievement_award_manual, achievement_awards_revoke
from achievements.tasks import achievement_backfill_schedule
from courses.admin import LargeTableAdmin, NotDeletedAloneAdmin


@admin.register(Achievement)
class AchievementAdmin(admin.ModelAdmin):
    form = AchievementAdminForm
    readonly_fields = ["backfills"]
    list_display = ["icon_preview", "name", "rule_summary", "is_active", "unlock_count"]
    list_display_links = ["icon_preview", "name"]
    list_filter = ["is_active", "rule", "course"]
    search_fields = ["name", "description"]
    list_select_related = ["course"]
    actions = ["award_to_qualifying"]
    fieldsets = [
        (None, {"fields": ["name", "description", "icon", "is_active"]}),
        ("Rule", {"fields": ["rule", "threshold", "course", "award_confirmation"]}),
        ("Awarding learners who already qualify", {"fields": ["backfills"]}),
    ]

    class Media:
        js = ["js/achievement_admin.js"]
        css = {"all": ["css/achievement_admin.css"]}

    def get_queryset(self, request):
        # Counted per achievement on the index of held awards alone (COUNT(*): no row
        # is read), rather than grouping every award.
        held = (
            UserAchievement.objects.filter(achievement=OuterRef("pk"), revoked_at__isnull=True)
            .order_by()
            .values("achievement")
            .annotate(n=Count("*"))
            .values("n")
        )
        return super().get_queryset(request).annotate(unlock_count=Coalesce(Subquery(held), 0))

    @admin.display(description="learners holding it", ordering="unlock_count")
    def unlock_count(self, achievement: Achievement) -> int:
        return achievement.unlock_count

    @admin.display(description="backfills, newest first")
    def backfills(self, achievement: Achievement) -> str:
        """What the worker did or is doing for this achievement (achievements.tasks)."""
        runs = achievement.backfills.all()[:5] if achievement.pk else []
        if not runs:
            return "None yet."
        return format_html(
            '<ul class="backfills">{}</ul>',
            format_html_join(
                "",
                '<li><strong>{}</strong>: {} <time datetime="{}">{}</time>{}</li>',
                (
                    (
                        run.get_state_display(),
                        _backfill_progress(run),
                        run.updated_at.isoformat(),
                        date_format(localtime(run.updated_at), "DATETIME_FORMAT"),
                        f" ({run.error})" if run.error else "",
                    )
                    for run in runs
                ),
            ),
        )

    @admin.display(description="icon")
    def icon_preview(self, achievement: Achievement) -> str:
        src = static(f"icons/{achievement.icon}.svg")
        return format_html('<img src="{}" alt="" width="24" height="24">', src)

    @admin.display(description="rule", ordering="rule")
    def rule_summary(self, achievement: Achievement) -> str:
        return rule_describe(achievement)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        form = context["adminform"].form
        if form.needs_confirmation and list(form.errors) == [NON_FIELD_ERRORS]:
            # Nothing to correct: this page is the confirmation step (see change_form.html).
            context["errors"] = None
        return super().render_change_form(request, context, add, change, form_url, obj)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if form.awards_may_change:
            achievement_backfill_schedule(achievement=obj, requested_by=request.user)
            if form.pending_awards:
                self.message_user(
                    request,
                    f"Awarding “{obj}” to {form.pending_awards} learner(s) in the background: "
                    "its page shows how far it got.",
                    messages.INFO,
                )

    @admin.action(description="Award to every learner who qualifies now")
    def award_to_qualifying(self, request, queryset):
        """Backfill, after a confirmation page listing how many learners each would award."""
        active = list(queryset.filter(is_active=True).select_related("course"))
        if request.POST.get("confirm") == "yes":
            for achievement in active:
                achievement_backfill_schedule(achievement=achievement, requested_by=request.user)
            self.message_user(
                request,
                f"Awarding {len(active)} achievement(s) to the learners who qualify, in the "
                "background: each achievement's page shows how far it got.",
                messages.SUCCESS,
            )
            return None
        rows = [(a, len(achievement_award_pending_user_ids(achievement=a))) for a in active]
        context = {
            **self.admin_site.each_context(request),
            "title": "Award to qualifying learners",
            "opts": self.model._meta,
            "rows": rows,
            "skipped": queryset.filter(is_active=False),
            "selected": queryset,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(
            request, "admin/achievements/achievement/award_confirmation.html", context
        )


def _backfill_progress(run: Backfill) -> str:
    if run.state == Backfill.State.QUEUED:
        return "waiting for the worker, since"
    if run.learners is None:
        return "counting learners who qualify, since"
    if run.state == Backfill.State.RUNNING:
        return f"{run.learners_done} of {run.learners} learners, last progress"
    return f"{run.awarded} learner(s) awarded of {run.learners} who qualified, at"


AUDIT_FIELDS = [
    "user",
    "achievement",
    "unlocked_at",
    "trigger",
    "trigger_lesson",
    "rule_snapshot",
    "awarded_by",
    "reason",
    "announced_at",
    "revoked_at",
    "revoked_by",
    "revoke_reason",
]


@admin.register(UserAchievement)
class UserAchievementAdmin(LargeTableAdmin, NotDeletedAloneAdmin):
    """Awards are audit records: added by hand or by the rules, revoked with a reason, never
    edited or deleted (a deleted revoked award would be given again by the rules)."""

    list_display = ["user", "achievement", "unlocked_at", "trigger", "awarded_by", "revoked_at"]
    list_filter = [
        "trigger",
        ("revoked_at", admin.EmptyFieldListFilter),
        ("announced_at", admin.EmptyFieldListFilter),
        "achievement",
    ]
    list_select_related = ["user", "achievement", "awarded_by"]
    raw_id_fields = ["user"]
    actions = ["revoke_awards"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ManualAwardForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request, obj=None):
        return AUDIT_FIELDS if obj else ["user", "achievement", "reason"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_revoke_permission(self, request) -> bool:
        return request.user.has_perm("achievements.change_userachievement")

    def save_model(self, request, obj, form, change):
        award = achievement_award_manual(
            user=form.cleaned_data["user"],
            achievement=form.cleaned_data["achievement"],
            awarded_by=request.user,
            reason=form.cleaned_data["reason"],
        )
        obj.pk = award.pk

    @admin.action(description="Revoke selected awards", permissions=["revoke"])
    def revoke_awards(self, request, queryset):
        """Asks why first; the awards stay listed as revoked, with who, when and why."""
        return revoke_with_reason(
            self,
            request,
            queryset.select_related("user", "achievement"),
            action="revoke_awards",
            revoke=lambda rows, **by: achievement_awards_revoke(awards=rows, **by),
            noun="award(s)",
            explanation=(
                "These awards will be revoked. They stay in the history, marked with your "
                "name, the time and the reason, and the rules will not award them to these "
                "learners again (a manual award can)."
            ),
            label=lambda award: f"{award.user}: {award.achievement}",
        )


def revoke_with_reason(
    model_admin: admin.ModelAdmin,
    request,
    queryset,
    *,
    action: str,
    revoke,
    noun: str,
    explanation: str,
    label,
):
    """An admin action that asks why before revoking (awards, certificates): the rows
    stay, marked with who, when and why. `revoke(rows, revoked_by=, reason=)` returns
    how many it revoked."""
    form = RevokeForm(request.POST if "reason" in request.POST else None)
    if form.is_valid():
        count = revoke(queryset, revoked_by=request.user, reason=form.cleaned_data["reason"])
        model_admin.message_user(request, f"Revoked {count} {noun}.", messages.SUCCESS)
        return None
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Revoke {noun.removesuffix('(s)')}s",
        "opts": model_admin.model._meta,
        "form": form,
        "explanation": explanation,
        "rows": [
            {"pk": row.pk, "label": label(row), "revoked_at": row.revoked_at} for row in queryset
        ],
        "action": action,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/achievements/revoke_confirmation.html", context)

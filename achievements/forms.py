import json

from django import forms
from django.core.exceptions import ValidationError

from achievements.models import (
    RULES_WITH_COURSE,
    RULES_WITH_THRESHOLD,
    STREAK_DAYS_MAX,
    Achievement,
    Rule,
    Trigger,
    UserAchievement,
)
from achievements.selectors import achievement_award_pending_user_ids, achievement_held
from achievements.widgets import IconRadioSelect

# Saving an active achievement with a change to any of these may award learners.
AWARD_FIELDS = frozenset({"is_active", "rule", "threshold", "course"})


def rule_fields() -> dict[str, list[str]]:
    """Which rule fields each rule type needs, for the admin script that shows only those."""
    return {
        rule: [
            name
            for name, rules in (("threshold", RULES_WITH_THRESHOLD), ("course", RULES_WITH_COURSE))
            if rule in rules
        ]
        for rule in Rule.values
    }


class AchievementAdminForm(forms.ModelForm):
    """Validates the rule as a whole, with errors on the field that needs fixing.

    Saving that would award learners at once (a new active achievement, one activated,
    or an active one whose rule changed) first asks for confirmation: the form stays
    invalid, showing how many learners would receive it, until it is submitted again
    unchanged with the confirmation the first submission handed back.
    """

    award_confirmation = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Achievement
        fields = ["name", "description", "icon", "is_active", "rule", "threshold", "course"]
        widgets = {"icon": IconRadioSelect}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rule"].widget.attrs["data-rule-fields"] = json.dumps(rule_fields())
        # Learners to award on save; set by clean() when saving may award anyone.
        self.pending_awards: int | None = None
        self.needs_confirmation = False

    def clean(self):
        cleaned = super().clean()
        rule = cleaned.get("rule")
        if rule is None:
            return cleaned
        if rule in RULES_WITH_THRESHOLD:
            threshold = cleaned.get("threshold")
            if threshold is None or threshold < 1:
                self.add_error("threshold", "Enter a count of at least 1 for this rule.")
            elif rule == Rule.STREAK_DAYS and threshold > STREAK_DAYS_MAX:
                self.add_error("threshold", f"A streak can be at most {STREAK_DAYS_MAX} days.")
        else:
            cleaned["threshold"] = None
        if rule in RULES_WITH_COURSE:
            if cleaned.get("course") is None:
                self.add_error("course", "Choose the course this rule is about.")
        else:
            cleaned["course"] = None
        if not self.errors and self.awards_may_change:
            self._confirm_awards(cleaned)
        return cleaned

    @property
    def awards_may_change(self) -> bool:
        if not self.cleaned_data.get("is_active"):
            return False
        return self.instance._state.adding or bool(AWARD_FIELDS & set(self.changed_data))

    def _confirm_awards(self, cleaned: dict) -> None:
        preview = Achievement(
            pk=self.instance.pk,
            rule=cleaned["rule"],
            threshold=cleaned["threshold"],
            course=cleaned["course"],
        )
        self.pending_awards = len(achievement_award_pending_user_ids(achievement=preview))
        if self.pending_awards == 0:
            return
        token = f"{self.pending_awards}:{preview.rule}:{preview.threshold}:{preview.course_id}"
        if cleaned.get("award_confirmation") == token:
            return
        self.needs_confirmation = True
        # Hand the token back in the re-rendered form: submitting it again confirms.
        self.data = self.data.copy()
        self.data[self.add_prefix("award_confirmation")] = token
        who = (
            "learner already qualifies" if self.pending_awards == 1 else "learners already qualify"
        )
        raise ValidationError(
            f"{self.pending_awards} {who} and will receive this achievement when you save. "
            "Save again to confirm.",
            code="award_confirmation",
        )


class ManualAwardForm(forms.ModelForm):
    """An admin's award by hand: which learner, which achievement, and why."""

    class Meta:
        model = UserAchievement
        fields = ["user", "achievement", "reason"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = True
        self.fields["achievement"].queryset = Achievement.objects.filter(is_active=True)
        self.instance.trigger = Trigger.MANUAL

    def clean(self):
        cleaned = super().clean()
        user, achievement = cleaned.get("user"), cleaned.get("achievement")
        if user and achievement and achievement_held(user=user, achievement=achievement):
            self.add_error("achievement", "This learner already has this achievement.")
        return cleaned


class RevokeForm(forms.Form):
    reason = forms.CharField(
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Recorded with your name and the time, and published with the revoked "
        "credential (its public page and Open Badges assertion say why).",
    )

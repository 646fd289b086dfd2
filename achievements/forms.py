from django import forms

from achievements.models import RULES_WITH_COURSE, RULES_WITH_THRESHOLD, Achievement


class AchievementAdminForm(forms.ModelForm):
    """Validates the rule as a whole, with errors on the field that needs fixing."""

    class Meta:
        model = Achievement
        fields = ["name", "description", "icon", "is_active", "rule", "threshold", "course"]

    def clean(self):
        cleaned = super().clean()
        rule = cleaned.get("rule")
        if rule is None:
            return cleaned
        if rule in RULES_WITH_THRESHOLD:
            threshold = cleaned.get("threshold")
            if threshold is None or threshold < 1:
                self.add_error("threshold", "Enter a count of at least 1 for this rule.")
        else:
            cleaned["threshold"] = None
        if rule in RULES_WITH_COURSE:
            if cleaned.get("course") is None:
                self.add_error("course", "Choose the course this rule is about.")
        else:
            cleaned["course"] = None
        return cleaned

from django import forms
from django.contrib.auth.forms import UserCreationForm

from accounts.models import LearnerProfile
from accounts.time_zones import time_zone_choices
from accounts.usernames import username_mixes_scripts, username_skeleton


class SignUpForm(UserCreationForm):
    """Django's sign-up form, refusing usernames that pass for someone else's."""

    def clean_username(self) -> str:
        username = super().clean_username()  # None: taken already, case aside
        if not username:
            return username
        if username_mixes_scripts(username):
            raise forms.ValidationError(
                "Use letters of one alphabet: this name mixes look-alike letters of several.",
                code="mixed_scripts",
            )
        if LearnerProfile.objects.filter(username_skeleton=username_skeleton(username)).exists():
            raise forms.ValidationError(
                "This name looks too much like an existing one. Please choose another.",
                code="confusable",
            )
        return username


class LearnerProfileForm(forms.Form):
    time_zone = forms.ChoiceField(
        choices=time_zone_choices,
        help_text="Streaks count the calendar days, in this time zone, on which you "
        "completed at least one lesson.",
    )

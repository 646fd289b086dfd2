from django import forms

from accounts.time_zones import time_zone_choices


class LearnerProfileForm(forms.Form):
    time_zone = forms.ChoiceField(
        choices=time_zone_choices,
        help_text="Streaks count the calendar days, in this time zone, on which you "
        "completed at least one lesson.",
    )

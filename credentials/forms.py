from django import forms


class FullNameForm(forms.Form):
    """The name a certificate prints: asked once, when the account has none."""

    first_name = forms.CharField(max_length=150, label="First name")
    last_name = forms.CharField(
        max_length=150,
        required=False,
        label="Last name",
        help_text="Leave it empty if you go by one name.",
    )


class EmailForm(forms.Form):
    """The address a badge names (hashed), which a backpack matches against yours."""

    email = forms.EmailField(
        max_length=254,
        label="E-mail address",
        help_text="Badges name you by this address, hashed: use the one your backpack or "
        "profile (Badgr, LinkedIn...) knows you by.",
    )

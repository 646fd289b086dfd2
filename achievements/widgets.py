"""Admin widgets: the icon picker shows each icon of the shipped set next to its name."""

from django import forms


class IconRadioSelect(forms.RadioSelect):
    option_template_name = "achievements/widgets/icon_option.html"

    def __init__(self, attrs=None, choices=()):
        super().__init__(attrs={"class": "icon-picker", **(attrs or {})}, choices=choices)

"""The insights pages' query strings, validated: a bad value is a form error shown on
the page (and the default used), never a 500."""

from datetime import date, timedelta

from django import forms
from django.http import QueryDict

from insights.selectors import STALLED_ORDERS, site_today

DEFAULT_ACTIVITY_DAYS = 90
MAX_ACTIVITY_DAYS = 366
DEFAULT_STALLED_DAYS = 14
MAX_STALLED_DAYS = 3_660
EARLIEST = date(2000, 1, 1)


def _date_or(value: str, default: date) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return default


OVERVIEW_ORDERS = {
    "title": "Course",
    "started": "Started",
    "completed": "Completed",
    "rate": "Completion rate",
    "median": "Median days to complete",
    "active": "Active in the last 7 days",
}


class OverviewForm(forms.Form):
    sort = forms.ChoiceField(
        required=False,
        choices=[
            (key, label) for name, label in OVERVIEW_ORDERS.items() for key in (name, f"-{name}")
        ],
    )

    def order(self) -> str:
        return (self.cleaned_data.get("sort") if self.is_valid() else None) or "title"


class CourseInsightsForm(forms.Form):
    start = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )
    days = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_STALLED_DAYS,
        label="No completion for at least (days)",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    sort = forms.ChoiceField(
        required=False,
        label="Order",
        choices=[
            ("last_activity", "Longest without activity first"),
            ("-last_activity", "Most recent activity first"),
            ("progress", "Least progress first"),
            ("-progress", "Most progress first"),
            ("username", "Username, A to Z"),
            ("-username", "Username, Z to A"),
        ],
    )

    @classmethod
    def from_query(cls, query: QueryDict) -> "CourseInsightsForm":
        """The form bound to the query string, with the defaults where a value is missing
        or empty, so the fields show what the page shows (the last 90 days, 14 days)."""
        data = query.copy()
        today = site_today()
        defaults = {
            "end": today.isoformat(),
            "days": str(DEFAULT_STALLED_DAYS),
            "sort": "last_activity",
        }
        for name, value in defaults.items():
            if not data.get(name):
                data[name] = value
        if not data.get("start"):
            end = _date_or(data["end"], today)
            data["start"] = (end - timedelta(days=DEFAULT_ACTIVITY_DAYS - 1)).isoformat()
        return cls(data)

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        today = site_today()
        for name in ("start", "end"):
            value = data.get(name)
            if value and not EARLIEST <= value <= today + timedelta(days=MAX_ACTIVITY_DAYS):
                self.add_error(name, f"Choose a date from {EARLIEST:%Y} to next year.")
        if start and end and "start" not in self.errors and "end" not in self.errors:
            if start > end:
                self.add_error("end", "The end comes before the start: choose a later end.")
            elif (end - start).days + 1 > MAX_ACTIVITY_DAYS:
                self.add_error("end", f"Choose at most {MAX_ACTIVITY_DAYS} days.")
        return data

    def value(self, name: str):
        """The cleaned value, or None when missing or wrong (the page then uses its default)."""
        self.is_valid()
        # A range is used whole or not at all.
        if name in self.errors or (name == "start" and "end" in self.errors):
            return None
        return self.cleaned_data.get(name)

    def activity_range(self) -> tuple[date, date]:
        """The chosen days, or the last 90 ending today; one end alone is completed
        with the default length."""
        start, end = self.value("start"), self.value("end")
        length = timedelta(days=DEFAULT_ACTIVITY_DAYS - 1)
        if start and end:
            return start, end
        if start:
            return start, start + length
        end = end or site_today()
        return end - length, end

    def stalled_days(self) -> int:
        return self.value("days") or DEFAULT_STALLED_DAYS

    def stalled_order(self) -> str:
        order = self.value("sort") or "last_activity"
        return order if order in STALLED_ORDERS else "last_activity"

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.selectors import learner_time_zone_name
from achievements.selectors import achievement_statuses
from achievements.services import announcements_claim


@require_GET
@login_required
def achievement_list(request: HttpRequest) -> HttpResponse:
    statuses = achievement_statuses(user=request.user)
    return render(
        request,
        "achievements/achievement_list.html",
        {
            "statuses": statuses,
            "unlocked_count": sum(s.is_unlocked for s in statuses),
            "time_zone": learner_time_zone_name(user=request.user),
            "achievement_announcements": announcements_claim(user=request.user),
        },
    )

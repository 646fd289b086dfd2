from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from achievements.selectors import achievement_statuses


@login_required
def achievement_list(request: HttpRequest) -> HttpResponse:
    statuses = achievement_statuses(user=request.user)
    return render(
        request,
        "achievements/achievement_list.html",
        {
            "statuses": statuses,
            "unlocked_count": sum(s.is_unlocked for s in statuses),
        },
    )

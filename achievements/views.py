from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from achievements.forms import LearnerProfileForm
from achievements.selectors import achievement_statuses, learner_time_zone_name
from achievements.services import learner_profile_update


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
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def learner_profile(request: HttpRequest) -> HttpResponse:
    form = LearnerProfileForm(
        request.POST or None, initial={"time_zone": learner_time_zone_name(user=request.user)}
    )
    if form.is_valid():
        learner_profile_update(user=request.user, time_zone=form.cleaned_data["time_zone"])
        messages.success(
            request, f"Saved: streaks now count days in {form.cleaned_data['time_zone']}."
        )
        return redirect("learner_profile")
    return render(
        request,
        "achievements/profile.html",
        {"form": form},
        status=400 if form.is_bound else 200,
    )

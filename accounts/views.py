"""Account pages the auth app does not ship: sign-up, the learner's profile, a ping."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods
from django_ratelimit.decorators import ratelimit

from accounts.forms import LearnerProfileForm, SignUpForm
from accounts.selectors import learner_time_zone_name
from achievements.services import announcements_claim, learner_time_zone_change


def _signup_rate(group: str, request: HttpRequest) -> str:
    return settings.SIGNUP_RATE


@ratelimit(key="accounts.client_ip.client_ip_key", rate=_signup_rate, method="POST", block=False)
def signup(request: HttpRequest) -> HttpResponse:
    """Sign-up, throttled per client address (SIGNUP_RATE): one address making accounts
    by the dozen is refused with 429 until the window has passed."""
    if request.user.is_authenticated:
        return redirect("dashboard")
    if request.limited:
        return render(request, "registration/signup_throttled.html", status=429)
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        next_url = request.POST.get("next", "")
        if url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return redirect(next_url)
        return redirect("dashboard")
    return render(
        request,
        "registration/signup.html",
        {"form": form, "next": request.GET.get("next", "")},
        status=400 if form.is_bound else 200,
    )


@require_http_methods(["GET", "POST"])
@login_required
def learner_profile(request: HttpRequest) -> HttpResponse:
    form = LearnerProfileForm(
        request.POST or None, initial={"time_zone": learner_time_zone_name(user=request.user)}
    )
    if form.is_valid():
        learner_time_zone_change(user=request.user, time_zone=form.cleaned_data["time_zone"])
        messages.success(
            request, f"Saved: streaks now count days in {form.cleaned_data['time_zone']}."
        )
        return redirect("learner_profile")
    context = {"form": form, "achievement_announcements": announcements_claim(user=request.user)}
    return render(request, "accounts/profile.html", context, status=400 if form.is_bound else 200)


@require_GET
@login_required
def session_ping(request: HttpRequest) -> HttpResponse:
    """204 while the session is signed in, the sign-in redirect otherwise.

    Lets a client or a monitor check a session without rendering a page. It does only
    what every learner request does (load the session and the user), which also makes
    it the floor the benchmark compares every page against.
    """
    return HttpResponse(status=204)

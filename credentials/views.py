"""Credential pages and documents.

The public ones (assertions, badge classes, the issuer, the revocation list,
certificates) never read the session: a signed-in learner gets the very response anyone
gets, which HTTP caches (a CDN) may keep for CREDENTIALS_MAX_AGE seconds, keyed by URL
and Accept. That is also how long a revocation, or a page made private, may take to show
through such a cache; the site itself caches none of them, so every response it sends
reads the credential's state as it is. A page that may become public at any moment (a
private one) is never cached at all. HEAD is answered too (`require_safe`), as caches ask.
"""

import io
import json
from urllib.parse import urlencode
from uuid import UUID

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.cache import add_never_cache_headers, patch_cache_control, patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.text import slugify
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
    require_safe,
)
from openbadges_bakery import bake

from achievements.models import UserAchievement
from credentials import documents, selectors, services
from credentials.forms import EmailForm, FullNameForm

JSON_TYPES = ("application/ld+json", "application/json")


def _json_type(request: HttpRequest) -> str | None:
    """The JSON type the client prefers to HTML, if it does (browsers prefer HTML)."""
    preferred = request.get_preferred_type(["text/html", *JSON_TYPES])
    return preferred if preferred in JSON_TYPES else None


def _public(response: HttpResponse) -> HttpResponse:
    patch_cache_control(response, public=True, max_age=settings.CREDENTIALS_MAX_AGE)
    patch_vary_headers(response, ["Accept"])
    return response


def _document(request: HttpRequest, document: dict, *, status: int = 200) -> HttpResponse:
    response = JsonResponse(
        document, status=status, content_type=_json_type(request) or JSON_TYPES[0]
    )
    # Public documents: verifiers running in a browser may read them too.
    response["Access-Control-Allow-Origin"] = "*"
    return _public(response)


def _not_shown(request: HttpRequest) -> HttpResponse:
    """The 404 of a page that is private now and may be public in a minute: never kept."""
    response = render(request, "404.html", status=404)
    add_never_cache_headers(response)
    return response


@require_safe
def issuer(request: HttpRequest) -> HttpResponse:
    return _document(request, documents.issuer_document(request.build_absolute_uri))


@require_safe
def revocation_list(request: HttpRequest) -> HttpResponse:
    revoked = selectors.revoked_awards()
    return _document(
        request, documents.revocation_list_document(revoked, request.build_absolute_uri)
    )


@require_safe
def badge_class(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """The BadgeClass as JSON-LD, or its page (what it is, and its criteria) to browsers."""
    achievement = selectors.badge_class_get(public_id=public_id)
    if achievement is None:
        raise Http404
    absolute = request.build_absolute_uri
    document = documents.badge_class_document(achievement, absolute)
    if _json_type(request):
        return _document(request, document)
    context = {"document": document, "achievement": achievement, **_issuer_context()}
    return _public(render(request, "credentials/badge_class.html", context))


@require_safe
def badge(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """An award: its hosted assertion (JSON-LD) for verifiers, its page for people.

    The assertion answers whether the page is public or not (a backpack holding it checks
    it here); a revoked one answers 410 Gone with the reason, as Open Badges asks. The
    page is shown to anyone once the learner has made it public, and to the learner alone
    until then.
    """
    award = selectors.award_get(public_id=public_id)
    if award is None:
        raise Http404
    absolute = request.build_absolute_uri
    if _json_type(request):
        if award.revoked_at:
            return _document(
                request, documents.revoked_assertion_document(award, absolute), status=410
            )
        if not award.user.email:  # no recipient to name until the learner gives an address
            return _not_shown(request)
        return _document(request, documents.assertion_document(award, absolute))
    if award.is_public:
        return _public(_badge_page(request, award))
    if request.user.pk == award.user_id:  # the learner, looking at their private page
        response = _badge_page(request, award, private=True)
        add_never_cache_headers(response)
        return response
    return _not_shown(request)


def _badge_page(request: HttpRequest, award: UserAchievement, private: bool = False):
    absolute = request.build_absolute_uri
    achievement = award.achievement
    page_url = documents.assertion_url(award, absolute)
    context = {
        "award": award,
        "achievement": achievement,
        "learner_name": award.user.get_full_name() or award.user.get_username(),
        "page_url": page_url,
        "image_url": absolute(static(documents.badge_image_name(achievement.icon))),
        "badge_class_url": reverse("badge_class", args=[achievement.public_id]),
        "criteria": documents.award_criteria(award),
        "evidence": documents.award_evidence(award),
        "linkedin_url": documents.linkedin_add_url(
            name=achievement.name,
            issued_at=award.unlocked_at,
            url=page_url,
            credential_id=str(award.public_id),
        ),
        "private": private,
        **_issuer_context(),
    }
    return render(request, "credentials/badge.html", context)


def _issuer_context() -> dict:
    return {"issuer_name": settings.BADGE_ISSUER_NAME}


@require_safe
def certificate(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """A certificate's printable page, which anyone with its link can check, or its JSON-LD."""
    found = selectors.certificate_get(public_id=public_id)
    if found is None:
        raise Http404
    absolute = request.build_absolute_uri
    if _json_type(request):
        return _document(request, documents.certificate_document(found, absolute))
    page_url = absolute(reverse("certificate", args=[found.public_id]))
    context = {
        "certificate": found,
        "name": documents.certificate_name(found),
        "page_url": page_url,
        "qr_svg": _qr_svg(page_url),
        "linkedin_url": documents.linkedin_add_url(
            name=f"Certificate of completion: {found.course.title}",
            issued_at=found.issued_at,
            url=page_url,
            credential_id=found.number,
        ),
        **_issuer_context(),
    }
    return _public(render(request, "credentials/certificate.html", context))


def _qr_svg(url: str) -> str:
    """The QR code of a URL as inline SVG: presentation attributes, no style."""
    svg = segno.make(url, error="m").svg_inline(
        scale=4, border=4, svgclass="qr", lineclass="qr__modules", omitsize=True
    )
    return mark_safe(svg)  # segno writes the path data alone: nothing of the URL is in it


@require_GET
@login_required
def course_certificate(request: HttpRequest, course_slug: str) -> HttpResponse:
    """The learner's certificate of a course, from the course page and the dashboard.

    Issued after the completion commits; if the worker has not run yet (or the course
    was completed before certificates existed) it is issued here, as the task would.
    """
    course = selectors.course_get(slug=course_slug)
    if course is None:
        raise Http404
    found = selectors.learner_certificate_get(user=request.user, course=course)
    if found is None:
        # Read again whatever this issued: a task or another tab may have been first.
        services.certificates_issue(course_id=course.pk, user_ids=[request.user.pk])
        found = selectors.learner_certificate_get(user=request.user, course=course)
    if found is None:
        raise Http404("No certificate: this course is not complete.")
    if not found.full_name:
        return redirect(f"{reverse('credential_name')}?{urlencode({'next': request.path})}")
    return redirect("certificate", public_id=found.public_id)


@require_GET
@login_required
def badge_download(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """The badge's PNG with its assertion baked in (Open Badges Baking), for a backpack."""
    award = selectors.award_get(public_id=public_id, user=request.user)
    if award is None or award.revoked_at:
        raise Http404
    if not award.user.email:
        return redirect(f"{reverse('credential_email')}?{urlencode({'next': request.path})}")
    assertion = documents.assertion_document(award, request.build_absolute_uri)
    with open(finders.find(documents.badge_image_name(award.achievement.icon)), "rb") as image:
        baked = bake(image, json.dumps(assertion), output_file=io.BytesIO())
    response = HttpResponse(baked.getvalue(), content_type="image/png")
    name = slugify(award.achievement.name) or "badge"
    response["Content-Disposition"] = f'attachment; filename="{name}.png"'
    return response


@require_POST
@login_required
def badge_sharing(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Make one of the learner's award pages public (`public=1`) or private (`public=0`)."""
    award = selectors.award_get(public_id=public_id, user=request.user)
    if award is None:
        raise Http404
    if request.POST.get("public") not in ("0", "1"):
        return HttpResponseBadRequest("Say public=1 or public=0.")
    services.award_sharing_set(award=award, public=request.POST["public"] == "1")
    name = award.achievement.name
    if request.htmx:
        context = {"public_id": award.public_id, "is_public": award.is_public, "name": name}
        return render(request, "achievements/achievement_list.html#share", context)
    if award.is_public:
        messages.success(request, f"“{name}” is public: anyone with its link sees its page.")
    else:
        messages.success(request, f"“{name}” is private again: its page is yours alone.")
    return redirect("achievement_list")


@require_http_methods(["GET", "POST"])
@login_required
def learner_details(request: HttpRequest, field: str) -> HttpResponse:
    """Ask once what a credential needs and the account lacks: the name a certificate
    prints (`field="name"`) or the address a badge names (`field="email"`)."""
    user = request.user
    if field == "name":
        form = FullNameForm(
            request.POST or None,
            initial={"first_name": user.first_name, "last_name": user.last_name},
        )
    else:
        form = EmailForm(request.POST or None, initial={"email": user.email})
    next_url = request.POST.get("next") or request.GET.get("next", "")
    if form.is_valid():
        if field == "name":
            services.learner_name_set(user=user, **form.cleaned_data)
        else:
            services.learner_email_set(user=user, email=form.cleaned_data["email"])
        if url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return redirect(next_url)
        return redirect("achievement_list")
    context = {"form": form, "field": field, "next": next_url}
    return render(
        request, "credentials/learner_details.html", context, status=400 if form.is_bound else 200
    )

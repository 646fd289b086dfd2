"""The documents a credential is made of, built from rows already read: no queries.

Open Badges 2.0, hosted verification: the Issuer, one BadgeClass per achievement, one
Assertion per award, each served as JSON-LD at its own `id`, an absolute URL on this
site. `absolute` builds it from the request, so the issuer and its assertions are always
on one host, as hosted verification requires. Every document passes IMS Global's
validator (tests/credentials/test_validator.py).
"""

import hashlib
from collections.abc import Callable, Iterable
from urllib.parse import urlencode
from uuid import UUID

from django.conf import settings
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone

from achievements.icons import Icon
from achievements.models import Achievement, Trigger, UserAchievement
from achievements.rules import rule_describe
from credentials.models import Certificate

OPEN_BADGES_CONTEXT = "https://w3id.org/openbadges/v2"
type Absolute = Callable[[str], str]  # a path on this site -> its absolute URL


def badge_image_name(icon: str) -> str:
    """The static PNG of an icon (static/badges/, rendered from static/icons/): an icon
    stored outside the choices (the shell) shows the trophy rather than failing."""
    return f"badges/{icon if icon in Icon.values else Icon.TROPHY}.png"


def recipient_identity(*, email: str, salt: str) -> str:
    """The salted hash that names the recipient: "sha256$" + hex(SHA-256(e-mail + salt)).

    The address is lower-cased first, as backpacks compare it: `Ada@Example.org` and
    `ada@example.org` are one recipient.
    """
    digest = hashlib.sha256((email.strip().lower() + salt).encode()).hexdigest()
    return f"sha256${digest}"


def issuer_id(absolute: Absolute) -> str:
    return absolute(reverse("ob_issuer"))


def issuer_document(absolute: Absolute) -> dict:
    return {
        "@context": OPEN_BADGES_CONTEXT,
        "type": "Issuer",
        "id": issuer_id(absolute),
        "name": settings.BADGE_ISSUER_NAME,
        "url": settings.BADGE_ISSUER_URL or absolute("/"),
        "email": settings.BADGE_ISSUER_EMAIL,
        "image": absolute(static(badge_image_name(Icon.BOOK))),  # the site's own icon
        "revocationList": absolute(reverse("ob_revocation_list")),
    }


def criteria_narrative(achievement: Achievement) -> str:
    return f"{rule_describe(achievement)}."


def badge_class_document(achievement: Achievement, absolute: Absolute) -> dict:
    badge_url = absolute(reverse("badge_class", args=[achievement.public_id]))
    return {
        "@context": OPEN_BADGES_CONTEXT,
        "type": "BadgeClass",
        "id": badge_url,
        "name": achievement.name,
        "description": achievement.description,
        "image": absolute(static(badge_image_name(achievement.icon))),
        "criteria": {"id": f"{badge_url}#criteria", "narrative": criteria_narrative(achievement)},
        "issuer": issuer_id(absolute),
    }


def award_criteria(award: UserAchievement) -> str:
    """What the rule asked when the award was made (it may have changed since)."""
    return f"{award.rule_snapshot.get('description') or rule_describe(award.achievement)}."


def award_evidence(award: UserAchievement) -> str:
    """How the award happened, from its audit trail; never the admin's name or notes."""
    match award.trigger:
        case Trigger.LESSON_COMPLETION if award.trigger_lesson:
            lesson = award.trigger_lesson
            return f"Completed the lesson “{lesson.title}” of “{lesson.course.title}”."
        case Trigger.LESSON_COMPLETION:
            return "Completed a lesson."
        case Trigger.TIME_ZONE_CHANGE:
            return "Lessons on consecutive days, counted in the learner's own time zone."
        case Trigger.BACKFILL:
            return "Met the criteria before this badge was offered; awarded when it was."
        case _:
            return "Awarded by the issuer."


def assertion_url(award: UserAchievement, absolute: Absolute) -> str:
    return absolute(reverse("badge", args=[award.public_id]))


def assertion_document(award: UserAchievement, absolute: Absolute) -> dict:
    """The award as a hosted assertion. The salt is the award's own public id: one per
    assertion, so two assertions of one learner do not share a hash."""
    salt = award.public_id.hex
    return {
        "@context": OPEN_BADGES_CONTEXT,
        "type": "Assertion",
        "id": assertion_url(award, absolute),
        "recipient": {
            "type": "email",
            "hashed": True,
            "salt": salt,
            "identity": recipient_identity(email=award.user.email, salt=salt),
        },
        "badge": absolute(reverse("badge_class", args=[award.achievement.public_id])),
        "verification": {"type": "HostedBadge"},
        "issuedOn": award.unlocked_at.isoformat(),
        "narrative": award_criteria(award),
        "evidence": [{"narrative": award_evidence(award)}],
    }


def revoked_assertion_document(award: UserAchievement, absolute: Absolute) -> dict:
    """What a revoked assertion answers, with HTTP 410 (Open Badges 2.0, "Revoked")."""
    return {
        "@context": OPEN_BADGES_CONTEXT,
        "type": "Assertion",
        "id": assertion_url(award, absolute),
        "revoked": True,
        "revocationReason": award.revoke_reason,
    }


def revocation_list_document(revoked: Iterable[tuple[UUID, str]], absolute: Absolute) -> dict:
    return {
        "@context": OPEN_BADGES_CONTEXT,
        "type": "RevocationList",
        "id": absolute(reverse("ob_revocation_list")),
        "issuer": issuer_id(absolute),
        "revokedAssertions": [
            {"id": absolute(reverse("badge", args=[public_id])), "revocationReason": reason}
            for public_id, reason in revoked
        ],
    }


def certificate_name(certificate: Certificate) -> str:
    """The name as printed; the username until the learner gives theirs."""
    return certificate.full_name or certificate.user.get_username()


def certificate_document(certificate: Certificate, absolute: Absolute) -> dict:
    """A certificate as schema.org JSON-LD, with the revocation fields Open Badges uses."""
    url = absolute(reverse("certificate", args=[certificate.public_id]))
    title = certificate.course.title
    return {
        "@context": "https://schema.org",
        "@type": "EducationalOccupationalCredential",
        "@id": url,
        "url": url,
        "name": f"Certificate of completion: {title}",
        "credentialCategory": "Certificate of completion",
        "identifier": certificate.number,
        "about": {"@type": "Course", "name": title},
        "recognizedBy": {
            "@type": "Organization",
            "name": settings.BADGE_ISSUER_NAME,
            "url": settings.BADGE_ISSUER_URL or absolute("/"),
        },
        "recipient": {"@type": "Person", "name": certificate_name(certificate)},
        "completedOn": timezone.localdate(certificate.completed_at).isoformat(),
        "dateCreated": certificate.issued_at.isoformat(),
        "revoked": certificate.revoked_at is not None,
        "revokedAt": certificate.revoked_at.isoformat() if certificate.revoked_at else None,
        "revocationReason": certificate.revoke_reason or None,
    }


def linkedin_add_url(*, name: str, issued_at, url: str, credential_id: str) -> str:
    """LinkedIn's "Add licence or certification" form, filled in."""
    issued = timezone.localtime(issued_at)
    query = {
        "startTask": "CERTIFICATION_NAME",
        "name": name,
        "organizationName": settings.BADGE_ISSUER_NAME,
        "issueYear": issued.year,
        "issueMonth": issued.month,
        "certUrl": url,
        "certId": credential_id,
    }
    return f"https://www.linkedin.com/profile/add?{urlencode(query)}"

from django.contrib import admin

from achievements.admin import revoke_with_reason
from courses.admin import NotDeletedAloneAdmin
from credentials.models import Certificate
from credentials.services import certificates_revoke


@admin.register(Certificate)
class CertificateAdmin(NotDeletedAloneAdmin):
    """Certificates are records that left the site: issued by completions, revoked with a
    reason, never edited or deleted alone (they go with their learner).

    Built for a million rows: found by number, username or e-mail (exact, indexed), no
    date hierarchy and no full count.
    """

    list_display = ["number", "user", "course", "completed_at", "issued_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter), "course"]
    search_fields = ["=number", "=user__username", "=user__email"]
    list_select_related = ["user", "course"]
    show_full_result_count = False
    actions = ["revoke_certificates"]
    fields = [
        "number",
        "public_id",
        "user",
        "course",
        "full_name",
        "completed_at",
        "issued_at",
        "revoked_at",
        "revoked_by",
        "revoke_reason",
    ]
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_revoke_permission(self, request) -> bool:
        return request.user.has_perm("credentials.change_certificate")

    @admin.action(description="Revoke selected certificates", permissions=["revoke"])
    def revoke_certificates(self, request, queryset):
        """Asks why first; the certificates stay, marked revoked with who, when and why."""
        return revoke_with_reason(
            self,
            request,
            queryset.select_related("user", "course"),
            action="revoke_certificates",
            revoke=lambda rows, **by: certificates_revoke(certificates=rows, **by),
            noun="certificate(s)",
            explanation=(
                "These certificates will be revoked. They stay listed, marked with your name, "
                'the time and the reason, and their pages say "Revoked" to anyone who checks '
                "them."
            ),
            label=lambda c: f"{c.number}: {c.user}, {c.course}",
        )

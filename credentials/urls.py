from django.urls import path

from credentials import views

urlpatterns = [
    path("credentials/issuer/", views.issuer, name="ob_issuer"),
    path("credentials/revocations/", views.revocation_list, name="ob_revocation_list"),
    path("credentials/name/", views.learner_details, {"field": "name"}, name="credential_name"),
    path("credentials/email/", views.learner_details, {"field": "email"}, name="credential_email"),
    path("badges/<uuid:public_id>/", views.badge, name="badge"),
    path("badges/<uuid:public_id>/download/", views.badge_download, name="badge_download"),
    path("badges/<uuid:public_id>/sharing/", views.badge_sharing, name="badge_sharing"),
    path("badges/classes/<uuid:public_id>/", views.badge_class, name="badge_class"),
    path("certificates/<uuid:public_id>/", views.certificate, name="certificate"),
    path(
        "certificates/course/<slug:course_slug>/",
        views.course_certificate,
        name="course_certificate",
    ),
]

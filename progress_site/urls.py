from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from progress_site import views

urlpatterns = [
    path("", include("courses.urls")),
    path("achievements/", include("achievements.urls")),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/ping/", views.session_ping, name="session_ping"),
    path("admin/", admin.site.urls),
]
# Uploaded course thumbnails while DEBUG is on (`make run`); in production the web server
# or object storage serves MEDIA_URL (docs/deployment.md), and this adds nothing.
urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

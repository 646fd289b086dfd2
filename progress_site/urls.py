from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("courses.urls")),
    path("", include("credentials.urls")),
    path("achievements/", include("achievements.urls")),
    path("accounts/", include("accounts.urls")),
    path("insights/", include("insights.urls")),
    path("admin/", admin.site.urls),
]
# Uploaded course thumbnails while DEBUG is on (`make run`); in production the web server
# or object storage serves MEDIA_URL (docs/deployment.md), and this adds nothing.
urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

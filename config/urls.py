"""Top-level URLs: the web pages of each app, the JSON API, Open311, the admin and the health check."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from shaobao.core import views as core_views
from shaobao.whistles import views_home

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/v1/", include("shaobao.api.urls")),
    path("open311/v2/", include("shaobao.api.open311.urls")),
    path("org/", include("shaobao.org.urls")),
    path("demands/", include("shaobao.intake.urls")),
    path("whistles/", include("shaobao.whistles.urls")),
    path("evaluation/", include("shaobao.evaluation.urls")),
    path("platform/", include("shaobao.platform.urls")),
    path("admission/", include("shaobao.admission.urls")),
    path("forces/", include("shaobao.forces.urls")),
    path("work-teams/", include("shaobao.workteams.urls")),
    path("powers/", include("shaobao.powers.urls")),
    path("key-tasks/", include("shaobao.keytasks.urls")),
    path("checkin/", include("shaobao.checkin.urls")),
    path("grids/", include("shaobao.households.urls")),
    path("hotline/", include("shaobao.hotline.urls")),
    path("calls/", include("shaobao.calls.urls")),
    path("notifications/", include("shaobao.core.urls")),
    path("", views_home.home, name="home"),
]
# Uploaded photos: only to those who may see their demand or note (core.media), never as public files.
urlpatterns += [path(f"{settings.MEDIA_URL.strip('/')}/<path:name>", core_views.media, name="media")]

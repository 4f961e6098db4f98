"""Web pages of the org app."""

from django.urls import path

from shaobao.org import views

app_name = "org"
urlpatterns = [
    path("boundaries.geojson", views.boundaries, name="boundaries"),
    path("acting/", views.acting, name="acting"),
]

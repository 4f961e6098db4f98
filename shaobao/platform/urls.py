"""Web pages of the platform app: the district coordination board and its live map feed."""

from django.urls import path

from shaobao.platform import views

app_name = "platform"
urlpatterns = [
    path("", views.board, name="board"),
    path("map.json", views.map_json, name="map_json"),
]

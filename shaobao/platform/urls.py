"""Web pages of the platform app: the district coordination board, its live map feed, emergency broadcasts."""

from django.urls import path

from shaobao.platform import views

app_name = "platform"
urlpatterns = [
    path("", views.board, name="board"),
    path("map.json", views.map_json, name="map_json"),
    path("forces/", views.forces, name="forces"),
    path("broadcasts/send/", views.send_broadcast, name="send_broadcast"),
    path("broadcasts/banner/", views.banner, name="broadcast_banner"),
    path("broadcasts/<int:pk>/", views.broadcast_detail, name="broadcast_detail"),
    path("broadcasts/<int:pk>/acknowledge/", views.acknowledge, name="acknowledge_broadcast"),
]

"""Pages of the core app that need a login: the notifications (bell)."""

from django.urls import path

from shaobao.core import views_notifications as views

app_name = "core"
urlpatterns = [
    path("", views.notification_list, name="notifications"),
    path("bell/", views.bell, name="bell"),
    path("<int:pk>/read/", views.mark_read, name="notification_read"),
    path("read-all/", views.mark_all_read, name="notifications_read_all"),
]

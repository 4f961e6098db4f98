"""Web pages of 双报到 (under /checkin/)."""

from django.urls import path

from shaobao.checkin import views

app_name = "checkin"
urlpatterns = [
    path("", views.members, name="members"),
    path("organisations/", views.organisations, name="organisations"),
    path("members/<int:pk>/", views.member_detail, name="member"),
    path("needs/", views.needs, name="needs"),
    path("me/", views.me, name="me"),
    path("me/report/", views.report, name="report"),
    path("posts/", views.posts, name="posts"),
    path("reports/", views.report_page, name="reports"),
    path("reports/export.xlsx", views.report_export, name="export"),
]

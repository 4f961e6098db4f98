"""Web pages of task admission."""

from django.urls import path

from shaobao.admission import views

app_name = "admission"
urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("entries/new/", views.entry_new, name="entry_new"),
    path("requests/", views.request_list, name="request_list"),
    path("requests/new/", views.request_new, name="request_new"),
    path("requests/<int:pk>/", views.request_detail, name="request_detail"),
    path("requests/<int:pk>/decide/", views.request_decide, name="request_decide"),
    path("marks/", views.mark_list, name="mark_list"),
    path("marks/new/", views.mark_new, name="mark_new"),
    path("marks/<int:pk>/acknowledge/", views.mark_acknowledge, name="mark_acknowledge"),
    path("reports/", views.reports, name="reports"),
    path("reports/export.xlsx", views.reports_export, name="reports_export"),
]

"""Web pages of the village work teams."""

from django.urls import path

from shaobao.workteams import views

app_name = "workteams"
urlpatterns = [
    path("", views.team_list, name="team_list"),
    path("reports/", views.reports, name="reports"),
    path("new/", views.new_team, name="new_team"),
    path("<int:pk>/members/", views.add_member, name="add_member"),
    path("<int:pk>/members/leave/", views.remove_member, name="remove_member"),
    path("export.xlsx", views.export_xlsx, name="export"),
    path("<int:pk>/", views.team_detail, name="team_detail"),
    path("<int:pk>/measures/", views.add_measure, name="add_measure"),
    path("<int:pk>/measures/<int:measure_id>/state/", views.measure_state, name="measure_state"),
    path("<int:pk>/visits/", views.record_visit, name="record_visit"),
    path("<int:pk>/reviews/", views.record_review, name="record_review"),
    path("<int:pk>/close/", views.close_team, name="close_team"),
]

"""Web pages of forces sent down (干部下沉)."""

from django.urls import path

from shaobao.forces import views

app_name = "forces"
urlpatterns = [
    path("", views.deployment_list, name="deployment_list"),
    path("new/", views.new_deployment, name="new_deployment"),
    path("<int:pk>/", views.deployment_detail, name="deployment_detail"),
    path("<int:pk>/end/", views.end_deployment, name="end_deployment"),
    path("<int:pk>/tasks/", views.assign_task, name="assign_task"),
    path("me/", views.my_page, name="me"),
    path("me/presence/", views.log_presence, name="log_presence"),
    path("tasks/", views.host_tasks, name="host_tasks"),
    path("tasks/<int:pk>/", views.task_detail, name="task_detail"),
    path("tasks/<int:pk>/note/", views.task_note, name="task_note"),
    path("tasks/<int:pk>/finish/", views.finish_task, name="finish_task"),
    path("quotas/", views.quotas, name="quotas"),
    path("reserve/", views.reserve, name="reserve"),
    path("posts/", views.posts, name="posts"),
    path("assessments/", views.assessments, name="assessments"),
    path("assessments/new/", views.new_assessment, name="new_assessment"),
    path("assessments/<int:pk>/", views.assessment_detail, name="assessment_detail"),
    path("reports/", views.reports, name="reports"),
    path("reports.xlsx", views.reports_xlsx, name="reports_xlsx"),
]

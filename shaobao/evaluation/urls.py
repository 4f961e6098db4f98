"""Web pages of the evaluation app."""

from django.urls import path

from shaobao.evaluation import views, views_levels

app_name = "evaluation"
urlpatterns = [
    path("", views.index, name="index"),
    path("matters/", views.matters, name="matters"),
    path("drill/", views.drill_view, name="drill"),
    path("rate/<int:whistle_id>/", views.rate, name="rate"),
    path("survey/", views.survey, name="survey"),
    path("publish/", views.publish, name="publish"),
    path("export.<str:fmt>", views.export, name="export"),
    path("calls/", views_levels.call_ranking, name="call_ranking"),
    path("city/", views_levels.city, name="city"),
    path("city/<str:code>/", views_levels.district_below, name="district_below"),
]

"""Web pages of the powers app."""

from django.urls import path

from shaobao.powers import views

app_name = "powers"
urlpatterns = [
    path("", views.power_list, name="power_list"),
    path("export.xlsx", views.power_export, name="power_export"),
    path("new/", views.power_new, name="power_new"),
    path("import/", views.power_import, name="power_import"),
    path("<int:pk>/", views.power_detail, name="power_detail"),
    path("<int:pk>/edit/", views.power_edit, name="power_edit"),
    path("<int:pk>/withdraw/", views.power_withdraw, name="power_withdraw"),
    path("street/", views.street_powers, name="street_powers"),
    path("notes/", views.note_file, name="note_file"),
    path("notes/<int:pk>/", views.note_detail, name="note_detail"),
    path("notes/<int:pk>/answer/", views.note_answer, name="note_answer"),
    path("recommendations/", views.recommendation_file, name="recommendation_file"),
    path("recommendations/<int:pk>/", views.recommendation_detail, name="recommendation_detail"),
    path("recommendations/<int:pk>/answer/", views.recommendation_answer, name="recommendation_answer"),
]

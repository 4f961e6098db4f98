"""Web pages of grids and households (under /grids/)."""

from django.urls import path

from shaobao.households import views

app_name = "households"
urlpatterns = [
    path("", views.grid_list, name="grids"),
    path("workers/", views.workers, name="workers"),
    path("households/", views.households, name="households"),
    path("households/<int:pk>/", views.household_detail, name="household"),
    path("groups/", views.groups, name="groups"),
    path("emergencies/", views.broadcasts, name="broadcasts"),
    path("emergencies/<int:pk>/", views.board, name="board"),
    path("emergencies/<int:pk>/figures/", views.board_figures, name="board_figures"),
    path("emergencies/<int:pk>/tap/", views.tap_page, name="tap"),
    path("emergencies/<int:pk>/taps/", views.tap, name="tap_post"),
]

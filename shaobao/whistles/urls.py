"""Web pages of the whistles app: inbox, whistle list and page, and the step forms."""

from django.urls import path

from shaobao.whistles import views

app_name = "whistles"
urlpatterns = [
    path("", views.whistle_list, name="whistle_list"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/items/", views.inbox_items, name="inbox_items"),
    path("blow/", views.blow, name="blow"),
    path("blow/units/", views.blow_units, name="blow_units"),
    path("units/search/", views.unit_search, name="unit_search"),
    path("<int:pk>/", views.whistle_detail, name="whistle_detail"),
    path("<int:pk>/verify/", views.verify, name="verify"),
    path("summons/<int:pk>/report-in/", views.report_in, name="report_in"),
    path("summons/<int:pk>/dispute/", views.dispute, name="dispute"),
    path("summons/<int:pk>/arbitrate/", views.arbitrate, name="arbitrate"),
    path("summons/<int:pk>/progress/", views.progress, name="progress"),
    path("summons/<int:pk>/extension/", views.request_extension, name="request_extension"),
    path("summons/<int:pk>/finish/", views.finish, name="finish"),
    path("extensions/<int:pk>/decide/", views.decide_extension, name="decide_extension"),
]

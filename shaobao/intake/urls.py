"""Web pages of the intake app: the resident's form and tracking (no login), the staff demand pages."""

from django.urls import path

from shaobao.intake import views, views_public

app_name = "intake"
urlpatterns = [
    path("", views.demand_list, name="demand_list"),
    path("new/", views.new_demand, name="new_demand"),
    path("new/caller/", views.caller_lookup, name="caller_lookup"),
    path("ledger.<str:fmt>", views.demand_ledger, name="ledger"),
    path("report/", views_public.public_form, name="public_form"),
    path("report/thanks/", views_public.public_thanks, name="public_thanks"),
    path("track/", views_public.track_lookup, name="track_lookup"),
    path("track/<str:code>/", views_public.track, name="track"),
    path("<int:pk>/", views.demand_detail, name="demand_detail"),
    path("<int:pk>/reveal/", views.reveal_reporter, name="reveal_reporter"),
    path("<int:pk>/placement/", views.correct_placement, name="correct_placement"),
    path("<int:pk>/self-handle/", views.self_handle, name="self_handle"),
    path("<int:pk>/transfer/", views.transfer, name="transfer"),
    path("<int:pk>/merge/", views.merge, name="merge"),
    path("<int:pk>/finish/", views.finish_self_handling, name="finish_self_handling"),
    path("<int:pk>/verify/", views.verify_self_handling, name="verify_self_handling"),
    path("<int:pk>/callback/", views.callback, name="callback"),
]

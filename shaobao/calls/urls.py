"""Web pages of the calls up the levels (乡呼县应)."""

from django.urls import path

from shaobao.calls import views

app_name = "calls"
urlpatterns = [
    path("", views.board, name="board"),
    path("all/", views.call_list, name="list"),
    path("new/", views.new_call, name="new"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/assign/", views.assign, name="assign"),
    path("<int:pk>/call-up/", views.call_up, name="call_up"),
    path("<int:pk>/verify/", views.verify, name="verify"),
    path("assignments/<int:pk>/report-in/", views.report_in, name="report_in"),
    path("assignments/<int:pk>/dispute/", views.dispute, name="dispute"),
    path("assignments/<int:pk>/arbitrate/", views.arbitrate, name="arbitrate"),
    path("assignments/<int:pk>/finish/", views.finish, name="finish"),
    path("assignments/<int:pk>/extension/", views.request_extension, name="request_extension"),
    path("extensions/<int:pk>/decide/", views.decide_extension, name="decide_extension"),
]

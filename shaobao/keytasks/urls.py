"""Web pages of the key tasks, monthly topics and accountability."""

from django.urls import path

from shaobao.keytasks import views

app_name = "keytasks"
urlpatterns = [
    path("", views.task_list, name="list"),
    path("new/", views.task_new, name="new"),
    path("<int:pk>/", views.task_detail, name="detail"),
    path("<int:pk>/progress/", views.report_progress, name="progress"),
    path("<int:pk>/deadline/", views.extend, name="extend"),
    path("topics/", views.topic_candidates, name="topics"),
    path("topics/choose/", views.topic_choose, name="topic_choose"),
    path("topics/<int:pk>/", views.topic_detail, name="topic"),
    path("accountability/", views.referral_list, name="referrals"),
    path("accountability/refer/", views.refer, name="refer"),
    path("accountability/<int:pk>/", views.referral_detail, name="referral"),
    path("accountability/<int:pk>/decide/", views.decide, name="decide"),
    path("accountability/<int:pk>/outcome/", views.outcome, name="outcome"),
]

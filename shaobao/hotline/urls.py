from django.urls import path

from shaobao.hotline import views

app_name = "hotline"
urlpatterns = [
    path("import/", views.upload, name="upload"),
    path("import/template.xlsx", views.template, name="template"),
]

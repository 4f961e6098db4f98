"""Web pages of the platform app."""

from django.urls import path  # noqa: F401

app_name = "platform"
urlpatterns: list = []

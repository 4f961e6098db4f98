"""Web pages of the whistles app."""

from django.urls import path  # noqa: F401

app_name = "whistles"
urlpatterns: list = []

"""One URL per view; ``/`` lists them."""

from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("", views.index),
    path("plain", views.plain),
    path("no-content", views.no_content),
    path("bad-date", views.bad_date),
    path("app-date", views.app_date),
    path("control-character", views.control_character),
    path("stream-too-long", views.stream_too_long),
    path("download", views.download),
    path("unauthorized", views.unauthorized),
    path("violations", views.violations),
]

from __future__ import annotations

from django.urls import path

from django_asgi_project import views

urlpatterns = [
    path("plain", views.plain),
    path("deleted", views.deleted),
    path("not-modified", views.not_modified),
    path("dated", views.dated),
]

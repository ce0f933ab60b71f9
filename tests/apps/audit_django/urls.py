from django.urls import path

from . import views

urlpatterns = [
    path("page", views.page, name="page"),
    path("download", views.download, name="download"),
    path("items/<int:pk>", views.ItemView.as_view(), name="item"),
]

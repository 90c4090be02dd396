from django.urls import path

from . import views

app_name = "history"

urlpatterns = [
    path("", views.tree_heads, name="tree_heads"),
]

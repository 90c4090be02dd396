from django.urls import path

from . import views

app_name = "history"

urlpatterns = [
    path("", views.tree_heads, name="tree_heads"),
    path("publish/", views.tree_head_publish_now, name="tree_head_publish"),
]

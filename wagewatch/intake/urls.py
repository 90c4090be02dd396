from django.urls import path

from . import views, views_import

app_name = "intake"

urlpatterns = [
    path("register/", views.register, name="register"),
    path("import/", views_import.batch_import, name="import"),
]

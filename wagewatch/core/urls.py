from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views

app_name = "core"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.home, name="home"),
    path("password/", views.password_change, name="password_change"),
    path("territories/", views.territory_list, name="territory_list"),
    path("territories/<int:pk>/", views.territory_detail, name="territory_detail"),
    path("organisations/", views.organisation_list, name="organisation_list"),
    path("organisations/<int:pk>/", views.organisation_detail, name="organisation_detail"),
    path("organisations/<int:pk>/reveal/phone/", views.organisation_phone_reveal, name="organisation_phone_reveal"),
    path("users/", views.user_list, name="user_list"),
    path("users/<int:pk>/", views.user_detail, name="user_detail"),
    path("users/<int:pk>/unlock/", views.user_unlock_view, name="user_unlock"),
    path("users/<int:pk>/reveal/phone/", views.user_phone_reveal, name="user_phone_reveal"),
    path("", include("wagewatch.core.urls_calendar")),
]

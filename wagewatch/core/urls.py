from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views
from .forms import LockoutAuthenticationForm

app_name = "core"

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="core/login.html", authentication_form=LockoutAuthenticationForm),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.home, name="home"),
    path("", include("wagewatch.core.urls_calendar")),
]

"""The worker's own monthly pay on the phone pages, mounted at /w/pay/ (no staff login)."""

from django.urls import path

from . import views_worker

app_name = "worker_pay"

urlpatterns = [
    path("", views_worker.start, name="start"),
    path("confirm/", views_worker.confirm, name="confirm"),
    path("mine/", views_worker.mine, name="mine"),
    path("<int:pw>/<int:year>/<int:month>/", views_worker.month_detail, name="month"),
    path("<int:pw>/<int:year>/<int:month>/answer/", views_worker.month_answer, name="answer"),
    path("leave/", views_worker.leave, name="leave"),
]

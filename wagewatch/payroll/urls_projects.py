"""Project supervision pages (included by payroll/urls.py in the `payroll:` namespace)."""

from django.urls import path

from . import views_projects as views

urlpatterns = [
    path("projects/", views.project_list, name="project_list"),
    path("projects/<int:pk>/", views.project_detail, name="project"),
    path("projects/<int:pk>/teams/new/", views.team_create, name="team_create"),
    path("projects/<int:pk>/workers/new/", views.worker_enter, name="worker_enter"),
    path("projects/<int:pk>/workers/<int:worker_pk>/exit/", views.worker_exit, name="worker_exit"),
    path("projects/<int:pk>/workers/<int:worker_pk>/reveal/<str:field>/", views.worker_reveal, name="worker_reveal"),
    path("projects/<int:pk>/account/", views.wage_account_edit, name="wage_account"),
    path("projects/<int:pk>/account/reveal/", views.account_reveal, name="account_reveal"),
    path("projects/<int:pk>/deposits/new/", views.deposit_add, name="deposit_add"),
    path("projects/<int:pk>/deposits/<int:deposit_pk>/release/", views.deposit_release, name="deposit_release"),
    path("projects/<int:pk>/site/", views.site_record_edit, name="site_record"),
    path("projects/<int:pk>/payroll/<int:year>-<int:month>/", views.payroll_sheet_edit, name="payroll_sheet"),
]

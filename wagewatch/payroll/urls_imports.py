"""Payroll import pages (included by payroll/urls.py in the `payroll:` namespace)."""

from django.urls import path

from . import views_imports as views

urlpatterns = [
    path("projects/<int:project_id>/imports/", views.imports, name="imports"),
    path("projects/<int:project_id>/imports/<int:job_id>/", views.import_detail, name="import_detail"),
    path("projects/<int:project_id>/imports/<int:job_id>/progress/", views.import_progress, name="import_progress"),
    path("projects/<int:project_id>/imports/<int:job_id>/rejected.xlsx", views.import_rejected, name="import_rejected"),
    path("imports/template/<str:kind>.xlsx", views.import_template, name="import_template"),
]

"""The reconciliation page of the office (included by payroll/urls.py in the `payroll:` namespace)."""

from django.urls import path

from . import views_reconciliation as views

urlpatterns = [
    path("reconciliation/", views.reconciliation_home, name="reconciliation"),
]

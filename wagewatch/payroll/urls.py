"""Staff pages of the payroll app at /payroll/, assembled from the sub-area url modules."""

import importlib

from django.urls import include, path

app_name = "payroll"

urlpatterns = []
for _name in ("urls_projects", "urls_imports", "urls_reconciliation"):
    try:
        importlib.import_module(f"wagewatch.payroll.{_name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"wagewatch.payroll.{_name}":
            raise
        continue
    urlpatterns.append(path("", include(f"wagewatch.payroll.{_name}")))

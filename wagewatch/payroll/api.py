"""/api/v1/payroll/: one router assembled from the sub-area routers."""

from ninja import Router

router = Router(tags=["工资支付监管"])


def _assemble() -> None:
    import importlib

    # Each sub-area module defines `router`; a module not written yet is skipped.
    for name in ("api_projects", "api_imports", "api_reconciliation"):
        try:
            module = importlib.import_module(f"wagewatch.payroll.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"wagewatch.payroll.{name}":
                raise
            continue
        router.add_router("", module.router)


_assemble()

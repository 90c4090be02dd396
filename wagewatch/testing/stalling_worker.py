"""A Celery worker that stops dead at one point of a job, for the tests that kill it there.

    python -m wagewatch.testing.stalling_worker POINT MARKER worker -Q queue ...

POINT is where it stops (touching the file MARKER first, so the test knows it got there):
- `import_write`: an import has written every row inside its one transaction, not yet committed;
- `reconcile_warnings`: a reconciliation chunk has committed its findings, not yet counted itself.
The rest of the arguments are the `celery -A wagewatch` command line. Only tests use this.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path


def _stop_here(marker: str) -> None:
    Path(marker).touch()
    time.sleep(3600)  # until the test kills this process


def main() -> None:
    point, marker, *celery_args = sys.argv[1:]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wagewatch.settings")
    import django

    django.setup()
    if point == "import_write":
        from wagewatch.payroll.imports import kinds

        for kind, (check, write) in list(kinds.HANDLERS.items()):
            def stalled(ctx, plan, write=write):
                outcome = write(ctx, plan)
                _stop_here(marker)
                return outcome

            kinds.HANDLERS[kind] = (check, stalled)
    elif point == "reconcile_warnings":
        from wagewatch.payroll.reconciliation import warnings

        warnings.warnings_refresh = lambda **kwargs: _stop_here(marker)
    else:
        raise SystemExit(f"unknown stall point {point!r}")
    from celery.bin.celery import main as celery_main

    sys.argv = ["celery", "-A", "wagewatch", *celery_args]
    celery_main()


if __name__ == "__main__":
    main()

"""Every write of the payroll app, by sub-area: roster.py (teams, workers, entry and exit, the
wage account, deposit and site record), imports.py (files and API pushes, bulk), reconciliation
(the monthly engine, in wagewatch/payroll/reconciliation/), confirmations.py (the worker's answer
to a month's pay)."""

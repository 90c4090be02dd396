"""Payroll data imports: column tables (`columns`), reading CSV/XLSX/JSON into polars
(`reading`), checking one cell (`cells`) and checking and writing each kind (`kinds`). The
services that run an import are in `wagewatch.payroll.services.imports`; the formats are
documented in docs/payroll-formats.md."""

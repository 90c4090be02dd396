"""Text refuses control characters on every input path, with a Chinese message (core.text)."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, SetPasswordForm
from django.urls import reverse

import wagewatch
from wagewatch.core.forms import Form
from wagewatch.core.text import TextFormMixin, text_clean, text_problem
from wagewatch.registry.models import Enterprise
from wagewatch.testing.world import valid_credit_code

REFUSED = ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x1f", "\x7f", "\x85", "\x9f", "\ufffe", "\u2028"]


@pytest.mark.parametrize("char", REFUSED + ["\t", "\n", "\r"])
def test_single_line_text_refuses_every_control_character(char):
    problem = text_problem(f"益民{char}食品")
    assert problem and "第3个字符" in problem


@pytest.mark.parametrize("char", REFUSED + ["\t"])
def test_multi_line_text_refuses_controls_but_line_breaks(char):
    assert text_problem(f"第一行\n第二{char}行", multiline=True)


def test_multi_line_text_keeps_line_breaks_normalised():
    assert text_clean("第一行\r\n第二行\r第三行\n", multiline=True) == "第一行\n第二行\n第三行\n"
    assert text_clean("普通文字 (A-1) ＃3", multiline=False) == "普通文字 (A-1) ＃3"


def _project_forms():
    for info in pkgutil.walk_packages(wagewatch.__path__, "wagewatch."):
        if ".tests" in info.name or ".migrations" in info.name or info.name.rsplit(".", 1)[-1] in {"conftest", "settings_production", "wsgi"}:
            continue
        importlib.import_module(info.name)
    seen, todo = set(), [forms.BaseForm]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in seen:
                seen.add(sub)
                todo.append(sub)
    return [f for f in seen if f.__module__.startswith("wagewatch.") and ".tests" not in f.__module__]


# Django's own sign-in and password forms: their one text field is the user name (looked up, never
# stored; Django refuses NUL in it) and passwords (hashed; any character is allowed).
EXEMPT = (AuthenticationForm, SetPasswordForm, PasswordChangeForm)


def test_every_form_of_the_platform_checks_its_text():
    found = _project_forms()
    assert len(found) > 40
    missing = sorted(f"{f.__module__}.{f.__qualname__}" for f in found if not issubclass(f, (TextFormMixin, *EXEMPT)))
    assert not missing, f"forms must derive from wagewatch.core.forms.Form: {missing}"


def test_every_editable_admin_checks_its_text():
    from django.contrib import admin

    from wagewatch.core.admin_base import ReadOnlyAdmin

    missing = [
        type(model_admin).__name__
        for model_admin in admin.site._registry.values()
        if type(model_admin).__module__.startswith("wagewatch.")
        and not isinstance(model_admin, ReadOnlyAdmin)
        and not issubclass(model_admin.form, TextFormMixin)
    ]
    assert not missing, f"editable admins must use a form derived from core.forms.ModelForm: {missing}"


class _Sample(Form):
    name = forms.CharField()
    description = forms.CharField(widget=forms.Textarea, required=False)


@pytest.mark.parametrize("char", ["\x01", "\x0b", "\x1f", "\t", "\n"])
def test_a_form_refuses_a_control_character_in_a_single_line_field(char):
    form = _Sample({"name": f"益民{char}食品"})
    assert not form.is_valid()
    assert "第3个字符" in form.errors["name"][0]


def test_a_form_keeps_line_breaks_in_a_multi_line_field():
    form = _Sample({"name": "益民食品", "description": "一\r\n二"})
    assert form.is_valid() and form.cleaned_data["description"] == "一\n二"
    form = _Sample({"name": "益民食品", "description": "一\x0b二"})
    assert not form.is_valid() and "垂直制表符" in form.errors["description"][0]


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x0b", "\x1f"])
def test_enterprise_form_refuses_control_characters_and_writes_nothing(client, world, char):
    client.force_login(world.users["office_staff"])
    response = client.post(
        reverse("registry:enterprise_create"),
        {"name": f"新登记{char}公司", "credit_code": valid_credit_code(400), "territory": world.territories["street_a"].pk, "industry": "other"},
    )
    # A NUL is answered 400 before any view (core.text.TextGuardMiddleware); the others by the form.
    assert response.status_code == (400 if char == "\x00" else 200)
    page = response.content.decode()
    assert "字符" in page
    assert not Enterprise.objects.filter(credit_code=valid_credit_code(400)).exists()


# ---------------------------------------------------------------- the API


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x0b", "\x1f", "\ud800"])
def test_api_refuses_a_control_character_in_json_in_chinese_and_writes_nothing(client, world, char):
    from wagewatch.cases.models import Case
    from wagewatch.intake.tests.test_api import body

    client.force_login(world.users["clerk"])
    data = body(world, employer_name=f"益民{char}食品")
    response = client.post("/api/v1/complaints", data, content_type="application/json")
    assert response.status_code == 422
    answer = response.json()
    assert answer["code"] == "invalid" and answer["errors"][0]["field"] == "employer_name" and "字符" in answer["message"]
    assert not Case.objects.exists()


def test_api_keeps_line_breaks_where_text_spans_lines(client, world):
    from wagewatch.intake.models import Complaint
    from wagewatch.intake.tests.test_api import body

    client.force_login(world.users["clerk"])
    response = client.post("/api/v1/complaints", body(world, description="第一行\n第二行"), content_type="application/json")
    assert response.status_code == 201, response.content
    assert Complaint.objects.get().description == "第一行\n第二行"
    response = client.post("/api/v1/complaints", body(world, complainant_name="张\n三"), content_type="application/json")
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "complainant_name"


@pytest.mark.parametrize("where", ["query", "form", "path"])
def test_api_refuses_control_characters_in_query_form_and_path(client, world, where):
    client.force_login(world.users["office_staff"])
    if where == "query":
        response = client.get("/api/v1/enterprises", {"q": "东花\x00"})
    elif where == "form":
        response = client.post("/api/v1/complaints/batch", {"channel": "hotline\x01"})
    else:
        response = client.get("/api/v1/cases/AJ%01-1")  # a NUL in a path: 400 from core.middleware
    assert response.status_code == 422
    assert response.json()["code"] == "invalid" and "字符" in response.json()["message"]


# ---------------------------------------------------------------- the importers


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x0b", "\x1f"])
def test_registry_import_rejects_control_characters(world, char):
    from wagewatch.registry.importers import enterprises_import
    from wagewatch.registry.tests.factories import csv_bytes

    header = ["企业名称", "统一社会信用代码", "所属辖区", "地址"]
    data = csv_bytes([header, [f"宏达{char}劳务有限公司", valid_credit_code(201), "110105001", "东花路1号"]])
    report = enterprises_import(actor=world.users["office_staff"], data=data, filename="企业.csv")
    assert not report.ok and report.rejected[0].row == 2
    assert "企业名称" in report.rejected[0].reasons[0] and "字符" in report.rejected[0].reasons[0]
    assert not Enterprise.objects.filter(credit_code=valid_credit_code(201)).exists()


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x0b"])
def test_complaint_batch_with_a_control_character_in_row_2_sends_that_row_back(world, char):
    from wagewatch.intake.models import Complaint
    from wagewatch.intake.tests.test_import import csv_bytes, row, run

    rows = [row(world, "A-1", "13900000301"), row(world, "A-2", "13900000302", employer=f"益民{char}食品")]
    report = run(world, csv_bytes(rows, "utf-8"))
    assert report.rejected_count == 1  # and the batch is all or nothing: nothing registered
    problem = " ".join(report.rejected[0].reasons)
    assert report.rejected[0].row == 3 and "用人单位" in problem and "字符" in problem
    assert Complaint.objects.count() == 0


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x0b", "\x1f"])
def test_payroll_import_rejects_control_characters(world, char):
    from wagewatch.payroll.models import ImportJob, Team
    from wagewatch.payroll.tests.test_imports import csv_bytes, run_file

    job = run_file(world, ImportJob.Kind.TEAMS, csv_bytes([["班组名称", "班组长", "所属企业"], [f"钢筋{char}班", "赵六", ""]]))
    assert job.status == ImportJob.Status.REJECTED
    assert job.rejected[0]["row"] == 2 and "班组名称" in job.rejected[0]["reason"] and "字符" in job.rejected[0]["reason"]
    assert not Team.objects.exists()


# ---------------------------------------------------------------- pages that read a parameter directly


@pytest.mark.parametrize(
    "user,url,params",
    [
        ("labour_manager", "payroll_roster", {"wq": "张\x00三"}),
        ("clerk", "/intake/register/", {"employer_name": "益民\x00", "employer_credit_code": ""}),
        ("office_staff", "/cases/", {"q": "益民\x00"}),
        ("office_staff", "/registry/enterprises/", {"q": "东花\x00"}),
    ],
)
def test_a_nul_in_a_page_parameter_is_a_400_in_chinese_never_a_500(client, world, user, url, params):
    if url == "payroll_roster":
        url = reverse("payroll:project", args=[world.projects["housing_b"].pk])
    client.raise_request_exception = False
    client.force_login(world.users[user])
    response = client.get(url, params)
    assert 400 <= response.status_code < 500
    assert "空字符" in response.content.decode() or "字符" in response.content.decode()

"""Issue 9: the commitment letter and the dispatch order print the registered employer (with what
the clerk typed in brackets when it differs), and the dispatch order prints the complainant's
phone for the unit that must call (masked for every other reader of the order)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from wagewatch.cases import services as cs
from wagewatch.history.models import Event
from wagewatch.testing.cases import register


def pdf_text(data: bytes) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("poppler-utils (pdftotext) 未安装")
    text = subprocess.run(["pdftotext", "-raw", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()
    return "".join(text.split())  # wrapped lines and spacing do not matter


@pytest.fixture
def typed_case(world):
    """A complaint naming factory A by its credit code under a short typed name."""
    factory = world.enterprises["factory_a"]
    case = register(world, employer_name="东花服装", employer_credit_code=factory.credit_code, complainant_phone="13912340001").case
    assert case.employer_id == factory.pk and case.employer_name == "东花服装"
    return case


def test_the_case_names_the_registered_employer_with_the_typed_name_in_brackets(world, typed_case):
    assert typed_case.employer_display_name == "东花服装厂(投诉填写:东花服装)"
    same = register(world).case
    assert same.employer_display_name == "东花服装厂"
    unregistered = register(world, employer_name="某小吃店", employer_credit_code="", territory_id=world.territories["street_a"].pk).case
    assert unregistered.employer_id is None and unregistered.employer_display_name == "某小吃店"


def test_the_commitment_letter_prints_the_registered_name(world, client, typed_case):
    client.force_login(world.users["clerk"])
    text = pdf_text(client.get(f"/cases/{typed_case.pk}/commitment-letter.pdf").content)
    assert "东花服装厂(投诉填写:东花服装)" in text


def test_the_dispatch_order_prints_the_registered_name_and_the_phone_for_the_unit(world, client, typed_case):
    cs.case_dispatch(actor=world.users["clerk"], case=typed_case, responsible_leader="李主任", assisting=[world.organisations["housing"]])
    url = f"/cases/{typed_case.pk}/dispatch-order.pdf"
    complaint = typed_case.complaints.get()
    for key in ("street_a_handler", "street_a_leader", "clerk", "office_staff"):
        client.force_login(world.users[key])
        text = pdf_text(client.get(url).content)
        assert "东花服装厂(投诉填写:东花服装)" in text, key
        assert "联系电话13912340001" in text, key
        # Printing the number is a reveal like any other: recorded with who saw it.
        assert Event.objects.filter(
            action="personal_data.revealed", object_type="intake.complaint", object_id=str(complaint.pk), actor_id=world.users[key].pk
        ).exists(), key
    # An assisting unit reads the order but does not call: the number is masked, nothing revealed.
    client.force_login(world.users["housing_handler"])
    text = pdf_text(client.get(url).content)
    assert "13912340001" not in text and "139****0001" in text
    assert not Event.objects.filter(action="personal_data.revealed", actor_id=world.users["housing_handler"].pk).exists()


def test_the_dispatch_notice_names_the_registered_employer(world, typed_case):
    from wagewatch.notify.models import Notification

    cs.case_dispatch(actor=world.users["clerk"], case=typed_case)
    note = Notification.objects.get(recipient_organisation=world.organisations["street_a"], kind="dispatch")
    assert "东花服装厂(投诉填写:东花服装)" in note.body


def test_pages_name_the_registered_employer(world, client, typed_case):
    cs.case_dispatch(actor=world.users["clerk"], case=typed_case)
    client.force_login(world.users["street_a_handler"])
    for url in (f"/cases/{typed_case.pk}/", "/cases/", "/cases/inbox/"):
        assert "东花服装厂(投诉填写:东花服装)" in client.get(url).content.decode(), url


def test_the_ledger_export_names_the_registered_employer(world, client, typed_case):
    from io import BytesIO

    from openpyxl import load_workbook

    client.force_login(world.users["office_staff"])
    sheet = load_workbook(BytesIO(client.get("/cases/export.xlsx").content)).active
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    column = header.index("用人单位")
    row = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] == typed_case.number)
    assert row[column] == "东花服装厂(投诉填写:东花服装)"

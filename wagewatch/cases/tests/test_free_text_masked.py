"""Numbers typed into free text are shown and exported masked like the protected fields: a bank
card, a phone and an ID number in a complaint description, a case summary, dispatch measures and
a site address never reach the case page, the ledger export, the dispatch order or the API in
clear. The stored text stays as typed."""

from __future__ import annotations

import re
from io import BytesIO
from pathlib import Path

from django.urls import reverse
from openpyxl import load_workbook

from wagewatch.cases.documents import dispatch_order_for, latest_lead_assignment
from wagewatch.cases.models import Case
from wagewatch.intake.models import Complaint
from wagewatch.testing.cases import dispatch, register

CARD = "6222021234567890123"
PHONE = "13812345678"
ID = "110101199003071234"
TYPED = f"老板欠三个月工资,工资卡{CARD},老板电话{PHONE},我的身份证{ID}"
CLEAR = (CARD, PHONE, ID)


def _case(world) -> Case:
    result = register(world, description=TYPED, site_address=f"东花路1号 联系人{PHONE}")
    case = dispatch(world, result.case, measures=f"请联系班组长{PHONE},核对卡号{CARD}")
    Case.objects.filter(pk=case.pk).update(summary=TYPED, resolution_summary=f"已转入{CARD}")
    return Case.objects.get(pk=case.pk)


def _no_clear(text: str) -> None:
    for number in CLEAR:
        assert number not in text


def test_stored_text_stays_as_typed(world):
    case = _case(world)
    assert Complaint.objects.get(case=case).description == TYPED


def test_case_page_shows_free_text_masked(world, client):
    case = _case(world)
    client.force_login(world.users["clerk"])
    html = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    _no_clear(html)
    assert "**** **** **** 0123" in html and "138****5678" in html and "110***********1234" in html


def test_ledger_export_is_masked(world, client):
    case = _case(world)
    client.force_login(world.users["office_staff"])
    response = client.get(reverse("cases:export"))
    cells = " ".join(str(v) for row in load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True) for v in row)
    assert case.number in cells
    _no_clear(cells)
    assert "138****5678" in cells


def test_dispatch_order_is_masked(world):
    case = _case(world)
    doc = dispatch_order_for(case, latest_lead_assignment(case))
    _no_clear(doc.description + doc.measures + doc.site_address)


def test_api_masks_bank_cards_too(world, client):
    case = _case(world)
    client.force_login(world.users["clerk"])
    detail = client.get(f"/api/v1/cases/{case.number}").content.decode()
    _no_clear(detail)
    assert "**** **** **** 0123" in detail
    complaint = Complaint.objects.get(case=case)
    body = client.get(f"/api/v1/complaints/{complaint.number}").content.decode()
    _no_clear(body)


# Free text that people type, by the attribute a template prints it from. Every page that
# prints one of them passes it through |redact; the exceptions below are not people's text.
FREE_TEXT = r"description|summary|resolution_summary|measures|end_reason|note|reason|outcome|approval_note|clue_reply_text|worker_rating_comment|major_reason|subcontracting_chain|payload_summary|body|error|site_address|original_name"
NOT_PEOPLES_TEXT = {
    # the worker's own text, shown back to them before they send it
    ("intake/worker/complain_confirm.html", "data.description"),
    ("intake/worker/complain_confirm.html", "data.subcontracting_chain"),
    ("intake/worker/complain_confirm.html", "data.site_address"),
    # registry data and the platform's own words
    ("registry/project_detail.html", "project.site_address"),
    ("registry/project_detail.html", "verdict.reason"),
    ("intake/worker/complain.html", "project.site_address"),
    ("intake/worker/start.html", "project.site_address"),
    ("intake/worker/poster_preview.html", "project.site_address"),
    ("core/time_limits.html", "limit.description"),
    ("core/calendar.html", "info.reason"),
    ("payroll/reconciliation.html", "rule.description"),
    ("payroll/project_detail.html", "r.note"),
    ("payroll/project_list.html", "r.note"),
    ("payroll/project_detail.html", "item.note"),
    ("core/home.html", "s.note"),
}


def test_every_template_printing_free_text_masks_it():
    root = Path(__file__).resolve().parents[2]
    expression = re.compile(r"\{\{\s*([\w.]+\.(?:" + FREE_TEXT + r"))\b([^}]*)\}\}")
    missing = []
    for path in root.glob("**/templates/**/*.html"):
        name = str(path).split("/templates/", 1)[1]
        for match in expression.finditer(path.read_text()):
            if (name, match.group(1)) in NOT_PEOPLES_TEXT:
                continue
            if "|redact" not in match.group(2):
                missing.append(f"{name}: {match.group(0)}")
    assert not missing, "free text printed without |redact:\n" + "\n".join(missing)


# ---------------------------------------------------------------- the recorded reveal, like fields


def _reveal(client, case, target):
    return client.post(reverse("cases:action", args=[case.pk, "reveal"]), {"target": target})


def test_reveal_shows_the_kinds_the_role_may_see_and_is_recorded(world, client):
    from wagewatch.history.models import Event

    case = _case(world)
    complaint = Complaint.objects.get(case=case)
    client.force_login(world.users["clerk"])  # a window clerk may see phones and IDs, not bank cards
    assert "查看号码" in client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    response = _reveal(client, case, f"complaint_text:{complaint.pk}:description")
    assert response.status_code == 200
    text = response.content.decode()
    assert PHONE in text and ID in text and CARD not in text and "**** **** **** 0123" in text
    event = Event.objects.filter(action="personal_data.revealed", object_id=str(complaint.pk)).get()
    assert event.payload_data == {"field": "description", "kinds": "身份证号、手机号"}
    summary = _reveal(client, case, f"case_text:{case.pk}:summary").content.decode()
    assert PHONE in summary and CARD not in summary


def test_reveal_is_refused_to_a_role_that_may_see_none_and_to_other_objects(world, client):
    case = _case(world)
    complaint = Complaint.objects.get(case=case)
    client.force_login(world.users["admin"])
    assert "查看号码" not in client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert _reveal(client, case, f"complaint_text:{complaint.pk}:description").status_code == 403
    client.force_login(world.users["clerk"])
    assert _reveal(client, case, f"complaint_text:{complaint.pk}:complainant_name").status_code == 404
    assert _reveal(client, case, f"case_text:{case.pk + 999}:summary").status_code == 404

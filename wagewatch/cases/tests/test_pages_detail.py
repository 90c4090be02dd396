"""The case detail page as staff use it: who sees it, which actions it offers, what each action
does through the page, what is refused, the evidence download and the two PDFs."""

from __future__ import annotations

import re
import shutil
import subprocess
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from wagewatch.cases import services as cs
from wagewatch.cases.models import Case, CaseAssignment, CaseState, ClueOutcome
from wagewatch.history.models import Event
from wagewatch.intake.models import Channel, Evidence
from wagewatch.intake.services import complaint_register
from wagewatch.testing.cases import PNG_BYTES, closure_evidence, complaint_input, register, unit_user, walk_to

pytestmark = pytest.mark.django_db


def detail(client, user, case):
    client.force_login(user)
    return client.get(f"/cases/{case.pk}/")


def offered(response) -> set[str]:
    """The actions in the page's action panel."""
    body = response.content.decode()
    panel = body[body.index('id="actions"') :]
    panel = panel[: panel.index("</section>")]
    return set(re.findall(r'data-action="([a-z_]+)"', panel))


def row_actions(response) -> set[tuple[str, int]]:
    """The actions offered on rows of the case (escalations, follow-ups): (name, row id)."""
    return {(name, int(pk)) for name, pk in re.findall(r'data-action="([a-z_]+)" data-item="(\d+)"', response.content.decode())}


def post(client, user, case, action, data=None, **extra):
    client.force_login(user)
    return client.post(f"/cases/{case.pk}/action/{action}/", data or {}, **extra)


def events(case, action=None) -> list[str]:
    qs = Event.objects.filter(object_type="cases.case", object_id=str(case.pk)).order_by("seq")
    if action:
        qs = qs.filter(action=action)
    return list(qs.values_list("action", flat=True))


def fresh(case) -> Case:
    return Case.objects.get(pk=case.pk)


def text(response) -> str:
    return response.content.decode()


# ---------------------------------------------------------------- who sees the page


def test_detail_renders_for_in_scope_users_and_404s_out_of_scope(world, client):
    result = register(world, complainant_id_number="11010519491231002X")
    case = cs.case_dispatch(actor=world.users["clerk"], case=result.case, responsible_leader="李主任")
    phone = result.complaint.complainant_phone
    for name in ("clerk", "office_staff", "office_leader", "inspector", "street_a_handler", "street_a_leader", "grid_a_worker", "admin"):
        response = detail(client, world.users[name], case)
        assert response.status_code == 200, name
        body = text(response)
        assert case.number in body and "东花服装厂" in body and "办理轨迹" in body
        # Personal data is masked on the page, whoever looks.
        assert phone not in body and "11010519491231002X" not in body
        assert phone[:3] + "****" + phone[-4:] in body and "110***********002X" in body
    # Another unit, another street, another street's grid worker, a feed: not found.
    for name in ("street_b_handler", "housing_handler", "transport_handler", "police_officer", "labour_manager"):
        assert detail(client, world.users[name], case).status_code == 404, name
    grid_b = world.users["grid_a_worker"]
    grid_b.territory = world.territories["grid_b"]
    grid_b.save()
    assert detail(client, grid_b, case).status_code == 404


def test_unit_sees_a_case_only_once_dispatched_to_it(world, client):
    case = register(world).case
    assert detail(client, world.users["street_a_handler"], case).status_code == 404
    cs.case_dispatch(actor=world.users["clerk"], case=case, responsible_leader="李主任")
    assert detail(client, world.users["street_a_handler"], case).status_code == 200
    # Returned to the office: the street loses sight of it.
    cs.case_return(actor=world.users["street_a_handler"], case=case, reason="应由住建局办理")
    assert detail(client, world.users["street_a_handler"], case).status_code == 404


def test_page_shows_deadlines_assignments_and_the_major_leader(world, client):
    case = register(world, project_id=world.projects["housing_b"].pk, employer_name="西城花园劳务班组", employer_credit_code="",
                    worker_count=35, subcontracting_chain="总包→劳务分包→班组长王五").case
    cs.case_major_set(actor=world.users["office_leader"], case=case, is_major=True, leader=world.users["office_leader"], reason="35人")
    cs.case_dispatch(actor=world.users["clerk"], case=case, responsible_leader="住建局副局长", responsible_person="赵科长", measures="三日内约谈总包")
    body = text(detail(client, world.users["office_staff"], case))
    assert "重大案件" in body and "挂牌督办" in body and "包案领导" in body
    assert "总包→劳务分包→班组长王五" in body
    for words in ("住建局副局长", "赵科长", "三日内约谈总包", "协助办理", "西城街道办事处", "告知(总承包单位总部)"):
        assert words in body
    assert "办结" in body and "核实" in body and "计时中" in body
    # The housing bureau's handler sees the case, and the registry link to the project it may see.
    body = text(detail(client, world.users["housing_handler"], case))
    assert f'/registry/projects/{world.projects["housing_b"].pk}/' in body


def test_overdue_deadline_is_red_and_provisional_is_marked(world, client):
    case = register(world, channel=Channel.HOTLINE_12345).case
    first = case.deadlines.get(kind="first_contact")
    first.due_at = first.started_at.replace(year=first.started_at.year - 1)
    first.save()
    close = case.deadlines.get(kind="close")
    close.provisional = True
    close.save()
    body = text(detail(client, world.users["clerk"], case))
    assert 'class="deadline-open overdue"' in body and "已超期" in body
    assert "暂定(日历未发布)" in body


# ---------------------------------------------------------------- the actions panel


@pytest.mark.parametrize(
    "state, who, expected",
    [
        (CaseState.REGISTERED, "clerk", {"dispatch", "note", "evidence", "escalate", "merge"}),
        (CaseState.REGISTERED, "office_staff", {"dispatch", "note", "evidence", "escalate", "major", "merge"}),
        # An inspector who is not the lead unit may only refer to the police or propose blacklisting.
        (CaseState.REGISTERED, "inspector", {"escalate"}),
        (CaseState.DISPATCHED, "street_a_handler", {"accept", "return", "note", "evidence", "escalate"}),
        (CaseState.DISPATCHED, "street_a_leader", {"accept", "return", "note", "evidence", "escalate"}),
        (CaseState.DISPATCHED, "clerk", {"note", "evidence", "escalate", "merge"}),
        (CaseState.ACCEPTED, "street_a_handler", {"verify", "return", "note", "evidence", "escalate"}),
        (CaseState.VERIFYING, "street_a_handler", {"handle", "resolve", "note", "evidence", "escalate"}),
        (CaseState.HANDLING, "street_a_handler", {"resolve", "note", "evidence", "escalate"}),
        (CaseState.HANDLING, "grid_a_worker", set()),
        (CaseState.RESOLVED, "street_a_handler", {"note", "evidence", "escalate"}),
        (CaseState.RESOLVED, "office_staff", {"callback", "reopen", "note", "evidence", "escalate", "major"}),
        (CaseState.CALLED_BACK, "clerk", {"close", "reopen", "note", "evidence", "escalate"}),
        (CaseState.CLOSED, "office_staff", {"reopen"}),
        (CaseState.CLOSED, "street_a_handler", set()),
    ],
)
def test_panel_offers_exactly_the_allowed_actions(world, client, state, who, expected):
    case = walk_to(world, register(world).case, state)
    response = detail(client, world.users[who], case)
    assert response.status_code == 200
    assert offered(response) == expected
    if not expected:
        assert 'id="no-actions"' in text(response)


def test_panel_offers_first_contact_clue_and_split_when_they_apply(world, client):
    clue = register(world, channel=Channel.NATIONAL_PLATFORM).case
    # Same employer, another group of workers: the clerk merges it into the same case.
    complaint_register(
        actor=world.users["clerk"], channel=Channel.HOTLINE_12345, data=complaint_input(world, complainant_name="李四"), link_to=clue
    )
    clue.refresh_from_db()
    assert clue.complaints.count() == 2
    assert offered(detail(client, world.users["clerk"], clue)) == {"dispatch", "first_contact", "note", "evidence", "clue", "escalate", "merge", "split"}
    # The standard reply of the first outcome is already in the box.
    first = ClueOutcome.objects.filter(active=True).first()
    assert first.reply_text[:20] in text(detail(client, world.users["office_staff"], clue))


# ---------------------------------------------------------------- actions through the page


def test_the_closed_loop_through_the_page(world, client):
    case = register(world).case
    clerk, office = world.users["clerk"], world.users["office_staff"]
    handler = world.users["street_a_handler"]

    r = post(client, clerk, case, "dispatch", {"dispatch-lead": world.organisations["street_a"].pk, "dispatch-responsible_leader": "王副主任",
                                               "dispatch-responsible_person": "", "dispatch-measures": ""})
    assert r.status_code == 302 and r["Location"] == f"/cases/{case.pk}/"
    assert fresh(case).state == CaseState.DISPATCHED and "case.dispatch" in events(case)
    order = case.assignments.get(role=CaseAssignment.Role.LEAD, active=True)
    assert order.responsible_leader == "王副主任"
    page = client.get(f"/cases/{case.pk}/")
    assert "已转办东城街道办事处牵头办理" in text(page)  # the success message

    assert post(client, handler, case, "accept", {"accept-responsible_person": "小陈"}).status_code == 302
    assert fresh(case).state == CaseState.ACCEPTED and "case.accept" in events(case)
    assert post(client, handler, case, "verify", {"verify-note": "明日到厂核实"}).status_code == 302
    assert fresh(case).state == CaseState.VERIFYING
    r = post(client, handler, case, "handle", {"handle-amount_verified": "17500", "handle-workers_verified": "3", "handle-facts_clear": "1",
                                               "handle-note": "工资表核对"})
    assert r.status_code == 302
    case = fresh(case)
    assert case.state == CaseState.HANDLING and case.amount_verified == Decimal("17500.00") and case.facts_clear_at
    assert case.deadlines.filter(kind="advance_payment_trigger", status="open").exists()

    upload = SimpleUploadedFile("流水.png", PNG_BYTES, content_type="image/png")
    r = post(client, handler, case, "evidence", {"evidence-purpose": "closure", "evidence-description": "银行代发流水", "evidence-file": upload})
    assert r.status_code == 302, text(r)
    assert Evidence.objects.filter(case=case, purpose="closure").count() == 1 and "case.evidence_added" in events(case)

    r = post(client, handler, case, "resolve", {"resolve-amount_paid": "17500", "resolve-workers_paid": "3", "resolve-summary": "已通过银行代发"})
    assert r.status_code == 302
    assert fresh(case).state == CaseState.RESOLVED and "case.resolve" in events(case)

    r = post(client, office, case, "callback", {"callback-method": "phone", "callback-resolved": "1", "callback-paid_in_full": "1",
                                                "callback-lawful": "1", "callback-satisfied": "1", "callback-note": "本人确认"})
    assert r.status_code == 302
    assert fresh(case).state == CaseState.CALLED_BACK and case.callbacks.count() == 1

    assert post(client, office, case, "close", {"close-note": "办结"}).status_code == 302
    case = fresh(case)
    assert case.state == CaseState.CLOSED and case.closed_at
    assert events(case)[-1] == "case.close"
    body = text(detail(client, office, case))
    assert "已结案" in body and "结清企业3个月跟踪" in body and "本人确认" in body


def test_office_overrides_the_lead_unit(world, client):
    case = register(world).case
    r = post(client, world.users["office_staff"], case, "dispatch", {"dispatch-lead": world.organisations["inspection"].pk,
                                                                     "dispatch-responsible_leader": "大队长"})
    assert r.status_code == 302
    assert fresh(case).lead_organisation == world.organisations["inspection"]


def test_dispatch_form_shows_the_routing_proposal(world, client):
    case = register(world, project_id=world.projects["housing_b"].pk, employer_name="西城花园劳务班组", employer_credit_code="").case
    body = text(detail(client, world.users["clerk"], case))
    plan = body[body.index('id="action-dispatch"'):]
    plan = plan[: plan.index("</details>")]
    assert "分派建议" in plan and "示范区住房和城乡建设局" in plan and "西城街道办事处" in plan and "东城建工集团有限公司" in plan
    # The proposed lead is preselected.
    assert re.search(rf'<option value="{world.organisations["housing"].pk}" selected>', plan)


def test_failed_callback_reopens_and_office_re_dispatches(world, client):
    case = walk_to(world, register(world).case, CaseState.RESOLVED)
    office = world.users["office_staff"]
    r = post(client, office, case, "callback", {"callback-method": "phone", "callback-resolved": "0", "callback-paid_in_full": "0",
                                                "callback-lawful": "1", "callback-satisfied": "0", "callback-note": "只付了一半"})
    assert r.status_code == 302
    assert fresh(case).state == CaseState.REOPENED and "case.reopen" in events(case)
    assert "dispatch" in offered(detail(client, office, case))


def test_records_first_contact_note_major_and_clue(world, client):
    case = register(world, channel=Channel.NATIONAL_PLATFORM).case
    office, leader = world.users["office_staff"], world.users["street_a_leader"]
    assert post(client, office, case, "first_contact", {"first_contact-note": "电话联系,诉求为支付三个月工资"}).status_code == 302
    assert fresh(case).first_contact_at and "case.first_contact" in events(case)
    assert post(client, office, case, "note", {"note-text": "已通知企业负责人到场"}).status_code == 302
    assert "case.note_added" in events(case)
    assert post(client, office, case, "major", {"major-is_major": "1", "major-leader": leader.pk, "major-reason": "群体性隐患"}).status_code == 302
    case = fresh(case)
    assert case.is_major and case.major_leader == leader and case.listed_supervision
    outcome = ClueOutcome.objects.filter(active=True).first()
    assert post(client, office, case, "clue", {"clue-outcome": outcome.pk, "clue-reply_text": ""}).status_code == 302
    case = fresh(case)
    assert case.clue_outcome == outcome and case.clue_reply_text == outcome.reply_text and "case.clue_answered" in events(case)
    # The htmx helper gives the standard reply of another outcome.
    other = ClueOutcome.objects.filter(active=True).exclude(pk=outcome.pk).first()
    r = client.get(f"/cases/{case.pk}/action/clue_reply/", {"clue-outcome": other.pk})
    assert r.status_code == 200 and other.reply_text[:10] in text(r) and 'name="clue-reply_text"' in text(r)


def test_merge_by_case_number_and_split_back_out(world, client):
    first = register(world).case
    second = register(world, employer_name="东花服装厂二分厂", employer_credit_code="", complainant_name="王五",
                      territory_id=world.territories["street_a"].pk).case
    assert first.pk != second.pk
    office = world.users["office_staff"]
    r = post(client, office, second, "merge", {"merge-into": first.number.lower(), "merge-reason": "同一老板"})
    assert r.status_code == 302
    second, first = fresh(second), fresh(first)
    assert second.state == CaseState.MERGED and second.merged_into == first and first.complaints.count() == 2
    assert "case.merged_in" in events(first)
    body = text(detail(client, office, second))
    assert f"/cases/{first.pk}/" in body and "已并入案件" in body

    moved = first.complaints.get(complainant_name="王五")
    r = post(client, office, first, "split", {"split-complaint": moved.pk, "split-reason": "并案有误,另一家企业"})
    assert r.status_code == 302
    moved.refresh_from_db()
    assert moved.case_id not in (first.pk, second.pk) and "case.complaint_split" in events(first)


def test_unit_returns_a_misrouted_case(world, client):
    case = walk_to(world, register(world).case, CaseState.DISPATCHED)
    r = post(client, world.users["street_a_handler"], case, "return", {"return-reason": "该厂已迁至西城街道"})
    assert r.status_code == 302
    case = fresh(case)
    assert case.state == CaseState.RETURNED and case.lead_organisation is None
    body = text(detail(client, world.users["office_staff"], case))
    assert "退回:该厂已迁至西城街道" in body and "dispatch" in offered(detail(client, world.users["office_staff"], case))


# ---------------------------------------------------------------- refusals


def test_wrong_state_is_refused_in_chinese_and_changes_nothing(world, client):
    case = walk_to(world, register(world).case, CaseState.DISPATCHED)
    before = events(case)
    r = post(client, world.users["office_staff"], case, "close", {"close-note": "x"})
    assert r.status_code == 409
    assert "不能结案" in text(r)
    r = post(client, world.users["clerk"], case, "dispatch", {"dispatch-lead": world.organisations["street_b"].pk, "dispatch-responsible_leader": "x"})
    assert r.status_code == 409 and "不能转办" in text(r)
    case = fresh(case)
    assert case.state == CaseState.DISPATCHED and case.lead_organisation == world.organisations["street_a"]
    assert events(case) == before


def test_wrong_actor_gets_403_and_changes_nothing(world, client):
    case = walk_to(world, register(world).case, CaseState.DISPATCHED)
    before = events(case)
    r = post(client, world.users["clerk"], case, "accept", {})
    assert r.status_code == 403 and "您无权对该案件执行“签收”" in text(r)
    r = post(client, world.users["street_a_handler"], case, "merge", {"merge-into": "AJ1"})
    assert r.status_code == 403
    r = post(client, world.users["street_a_handler"], case, "major", {"major-is_major": "1"})
    assert r.status_code == 403 and "只有清欠办" in text(r)
    r = post(client, world.users["inspector"], case, "note", {"note-text": "看看"})
    assert r.status_code == 403
    # Another unit does not even learn that the case exists.
    assert post(client, world.users["street_b_handler"], case, "accept", {}).status_code == 404
    assert fresh(case).state == CaseState.DISPATCHED and events(case) == before


def test_unknown_action_and_get_are_refused(world, client):
    case = register(world).case
    assert post(client, world.users["clerk"], case, "explode").status_code == 404
    client.force_login(world.users["clerk"])
    assert client.get(f"/cases/{case.pk}/action/dispatch/").status_code == 405


def test_field_errors_come_back_in_chinese_with_the_input_kept(world, client):
    case = walk_to(world, register(world).case, CaseState.HANDLING)
    handler = unit_user(world, case)
    r = post(client, handler, case, "resolve", {"resolve-amount_paid": "16800", "resolve-workers_paid": "3", "resolve-summary": "老板已付清"})
    assert r.status_code == 422
    body = text(r)
    assert "请先上传支付凭证等结案材料" in body
    assert 'value="16800"' in body and "老板已付清" in body
    assert 'id="action-resolve" data-action="resolve" open' in body
    r = post(client, handler, case, "resolve", {"resolve-amount_paid": "-5", "resolve-workers_paid": "0", "resolve-summary": ""})
    body = text(r)
    assert r.status_code == 422 and "不能为负数" in body and "不能小于1" in body and "请填写办理结果" in body
    assert fresh(case).state == CaseState.HANDLING and "case.resolve" not in events(case)


def test_evidence_of_the_wrong_type_is_refused_next_to_the_file_input(world, client):
    case = walk_to(world, register(world).case, CaseState.HANDLING)
    fake = SimpleUploadedFile("pay.png", b"<html><script>alert(1)</script></html>", content_type="image/png")
    r = post(client, unit_user(world, case), case, "evidence", {"evidence-purpose": "closure", "evidence-file": fake})
    assert r.status_code == 422 and "文件类型不支持" in text(r)
    assert not Evidence.objects.filter(case=case).exists()


def test_merge_into_a_case_out_of_sight_is_refused(world, client):
    case = register(world).case
    r = post(client, world.users["office_staff"], case, "merge", {"merge-into": "AJ20990101999999"})
    assert r.status_code == 422 and "未找到案件AJ20990101999999" in text(r)
    assert fresh(case).state == CaseState.REGISTERED


# ---------------------------------------------------------------- reveals


def test_reveal_is_recorded_and_limited_by_role(world, client):
    result = register(world, complainant_id_number="11010519491231002X")
    case = cs.case_dispatch(actor=world.users["clerk"], case=result.case, responsible_leader="李主任")
    complaint = result.complaint
    target = f"complaint:{complaint.pk}:complainant_id_number"
    r = post(client, world.users["clerk"], case, "reveal", {"target": target})
    assert r.status_code == 200 and "11010519491231002X" in text(r)
    assert Event.objects.filter(action="personal_data.revealed", object_type="intake.complaint", object_id=str(complaint.pk)).count() == 1
    # A street handler may see the phone, not the ID number; the page offers only what is allowed.
    handler = world.users["street_a_handler"]
    body = text(detail(client, handler, case))
    assert f'"target": "complaint:{complaint.pk}:complainant_phone"' in body and target not in body
    assert post(client, handler, case, "reveal", {"target": target}).status_code == 403
    r = post(client, handler, case, "reveal", {"target": f"complaint:{complaint.pk}:complainant_phone"})
    assert r.status_code == 200 and complaint.complainant_phone in text(r)
    # Not a protected field, or a complaint of another case: not found.
    assert post(client, handler, case, "reveal", {"target": f"complaint:{complaint.pk}:complainant_name"}).status_code == 404
    other = register(world, employer_name="别家", employer_credit_code="", territory_id=world.territories["street_a"].pk).complaint
    assert post(client, world.users["clerk"], case, "reveal", {"target": f"complaint:{other.pk}:complainant_phone"}).status_code == 404


# ---------------------------------------------------------------- evidence and PDFs


def test_evidence_download_is_scoped(world, client):
    case = walk_to(world, register(world).case, CaseState.HANDLING)
    evidence = closure_evidence(case, unit_user(world, case))
    url = f"/cases/{case.pk}/evidence/{evidence.pk}/"
    client.force_login(world.users["street_a_handler"])
    r = client.get(url)
    assert r.status_code == 200
    assert b"".join(r.streaming_content) == PNG_BYTES
    assert r["Content-Type"] == "image/png" and r["X-Content-Type-Options"] == "nosniff"
    assert r["Content-Disposition"].startswith("inline") and case.number in r["Content-Disposition"]
    for name in ("street_b_handler", "housing_handler"):
        client.force_login(world.users[name])
        assert client.get(url).status_code == 404
    # Another case in sight does not open this case's file.
    other = register(world, employer_name="别家", employer_credit_code="", territory_id=world.territories["street_a"].pk).case
    client.force_login(world.users["clerk"])
    assert client.get(f"/cases/{other.pk}/evidence/{evidence.pk}/").status_code == 404
    # The page links through the scoped view, never /media/.
    body = text(detail(client, world.users["clerk"], case))
    assert url in body and "/media/" not in body


def _pdftotext(data: bytes) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("poppler-utils (pdftotext) 未安装")
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()


def test_commitment_letter_pdf(world, client):
    case = register(world).case
    client.force_login(world.users["clerk"])
    r = client.get(f"/cases/{case.pk}/commitment-letter.pdf")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    content = _pdftotext(r.content)
    assert case.number in content and "承诺函" in content and "7个工作日" in content and "东花服装厂" in content
    client.force_login(world.users["street_b_handler"])
    assert client.get(f"/cases/{case.pk}/commitment-letter.pdf").status_code == 404


def test_dispatch_order_pdf(world, client):
    case = register(world).case
    client.force_login(world.users["clerk"])
    r = client.get(f"/cases/{case.pk}/dispatch-order.pdf")
    assert r.status_code == 404 and "尚未转办" in text(r)
    cs.case_dispatch(actor=world.users["clerk"], case=case, responsible_leader="李主任", measures="三日内约谈厂长")
    r = client.get(f"/cases/{case.pk}/dispatch-order.pdf")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    order = case.assignments.get(role="lead", active=True)
    content = _pdftotext(r.content)
    assert case.number in content and order.order_number in content
    assert "东城街道办事处" in content and "李主任" in content and "三日内约谈厂长" in content
    client.force_login(world.users["street_a_handler"])
    assert client.get(f"/cases/{case.pk}/dispatch-order.pdf").status_code == 200


# ---------------------------------------------------------------- escalations and follow-ups


def test_advance_payment_proposed_approved_recovered_and_closed_through_the_page(world, client):
    case = walk_to(world, register(world).case, CaseState.HANDLING)
    handler, staff, leader = world.users["street_a_handler"], world.users["office_staff"], world.users["office_leader"]
    r = post(client, handler, case, "escalate", {"escalate-kind": "advance_payment", "escalate-reason": "企业负责人失联,工资无法支付",
                                                 "escalate-amount": "18000", "escalate-worker_count": "3"})
    assert r.status_code == 302
    advance = case.escalations.get(kind="advance_payment")
    assert advance.status == "proposed" and "case.escalation_proposed" in events(case)
    # Only an office leader is offered the approval; the kind cannot be opened twice.
    assert ("escalation_approve", advance.pk) in row_actions(detail(client, leader, case))
    assert ("escalation_approve", advance.pk) not in row_actions(detail(client, staff, case))
    assert "advance_payment" not in text(detail(client, handler, case)).split('id="action-escalate"')[1].split("</details>")[0]
    r = post(client, staff, case, "escalation_approve", {"item": advance.pk, "escalation_approve-approved": "1"})
    assert r.status_code == 403 and "只有清欠办领导" in text(r)

    r = post(client, leader, case, "escalation_approve", {"item": advance.pk, "escalation_approve-approved": "1", "escalation_approve-note": "同意"})
    assert r.status_code == 302
    advance.refresh_from_db()
    assert advance.status == "open" and advance.approved_by == leader
    # Approving twice is refused and changes nothing.
    before = events(case)
    r = post(client, leader, case, "escalation_approve", {"item": advance.pk, "escalation_approve-approved": "0", "escalation_approve-note": "再议一下"})
    assert r.status_code == 409 and "不能再审批" in text(r) and events(case) == before

    body = text(detail(client, staff, case))
    assert {("escalation_recovery", advance.pk), ("escalation_close", advance.pk)} <= row_actions(detail(client, staff, case))
    assert "尚待追回" in body
    r = post(client, staff, case, "escalation_recovery", {"item": advance.pk, "escalation_recovery-amount": "20000",
                                                          "escalation_recovery-recovered_on": timezone_today()})
    assert r.status_code == 422 and "追回金额合计不能超过垫付金额" in text(r) and 'value="20000"' in text(r)
    r = post(client, staff, case, "escalation_recovery", {"item": advance.pk, "escalation_recovery-amount": "5000",
                                                          "escalation_recovery-recovered_on": timezone_today(), "escalation_recovery-note": "法院执行"})
    assert r.status_code == 302
    advance.refresh_from_db()
    assert advance.recovered_amount == Decimal("5000.00") and "case.escalation_recovery" in events(case)
    r = post(client, staff, case, "escalation_close", {"item": advance.pk, "escalation_close-outcome": "已垫付,继续追偿"})
    assert r.status_code == 302
    advance.refresh_from_db()
    assert advance.status == "closed" and "case.escalation_closed" in events(case)
    assert "13,000.00" in text(detail(client, staff, case))  # still to recover


def timezone_today() -> str:
    from django.utils import timezone

    return timezone.localdate().isoformat()


def test_other_escalation_paths_and_their_errors(world, client):
    case = walk_to(world, register(world).case, CaseState.HANDLING)
    handler = world.users["street_a_handler"]
    r = post(client, handler, case, "escalate", {"escalate-kind": "criminal_referral", "escalate-reason": "老板转移财产"})
    assert r.status_code == 422 and "请选择移送理由" in text(r) and "老板转移财产" in text(r)
    assert not case.escalations.exists()
    r = post(client, handler, case, "escalate", {"escalate-kind": "criminal_referral", "escalate-reason": "老板转移财产",
                                                 "escalate-grounds": ["hiding_assets"]})
    assert r.status_code == 302
    referral = case.escalations.get(kind="criminal_referral")
    assert referral.organisation == world.organisations["police"]
    # The police now see the case and may close the referral with its outcome.
    police = world.users["police_officer"]
    assert ("escalation_close", referral.pk) in row_actions(detail(client, police, case))
    assert "以转移财产方式逃避支付" in text(detail(client, police, case))

    r = post(client, handler, case, "escalate", {"escalate-kind": "mediation", "escalate-reason": "双方对金额有争议"})
    assert r.status_code == 302
    mediation = case.escalations.get(kind="mediation")
    r = post(client, handler, case, "escalation_close", {"item": mediation.pk, "escalation_close-outcome": "达成调解协议,分两期支付",
                                                         "escalation_close-judicial_confirmation": "on"})
    assert r.status_code == 302
    mediation.refresh_from_db()
    assert mediation.status == "closed" and mediation.judicial_confirmation
    # A row of another case is not found through this one.
    other = walk_to(world, register(world, employer_name="别家", employer_credit_code="", territory_id=world.territories["street_a"].pk).case,
                    CaseState.HANDLING)
    r = post(client, handler, other, "escalation_close", {"item": referral.pk, "escalation_close-outcome": "x"})
    assert r.status_code == 404


def test_follow_up_of_a_settled_enterprise_through_the_page(world, client):
    case = walk_to(world, register(world).case, CaseState.CLOSED)
    follow_up = case.follow_ups.get()
    handler = world.users["street_a_handler"]
    assert ("follow_up", follow_up.pk) in row_actions(detail(client, handler, case))
    r = post(client, handler, case, "follow_up", {"item": follow_up.pk, "follow_up-result": "problem", "follow_up-note": ""})
    assert r.status_code == 422 and "请写明具体情况" in text(r)
    r = post(client, handler, case, "follow_up", {"item": follow_up.pk, "follow_up-result": "confirmed", "follow_up-note": "回访企业,工资按月发放"})
    assert r.status_code == 302
    follow_up.refresh_from_db()
    assert follow_up.result == "confirmed" and "case.follow_up_completed" in events(case)
    assert ("follow_up", follow_up.pk) not in row_actions(detail(client, handler, case))


def test_commitment_letter_prints_the_worker_site_address(world, client, settings):
    settings.WORKER_SITE_URL = "https://wage.example.gov.cn/"
    case = register(world).case
    client.force_login(world.users["clerk"])
    content = _pdftotext(client.get(f"/cases/{case.pk}/commitment-letter.pdf").content)
    assert "https://wage.example.gov.cn/w/" in content.replace("\n", "")

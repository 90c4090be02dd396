"""Alarms only from settled months (issue 9): a month is provisional until its pay day plus the
office's grace has passed and its data (attendance, payroll sheet, bank rows) is complete, or
until it is long overdue; provisional findings never open a case unless the office runs the month
on purpose; an automatic case whose warning cleared is told to its unit and may be closed as
"核实无欠薪" without payment evidence."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse

from wagewatch.cases import services as cs
from wagewatch.cases.models import Case, CaseState
from wagewatch.history.models import Event
from wagewatch.intake.models import Channel, Complaint
from wagewatch.notify.models import Notification
from wagewatch.payroll import synthetic
from wagewatch.payroll.models import (
    BankDisbursement,
    CaseOpeningRule,
    Finding,
    PayrollLine,
    PayrollSheet,
    PayrollWarning,
    WarningLevel,
)
from wagewatch.payroll.reconciliation import reconcile
from wagewatch.payroll.reconciliation.settlement import month_state
from wagewatch.testing.cases import unit_user

MONTH = date(2026, 9, 1)  # pay day 15 October; grace 5 days → settles after 20 October if complete
IN_WINDOW = date(2026, 10, 25)  # past the pay day and the grace, before "long overdue" (30 October)
LONG_AFTER = date(2026, 11, 5)


@pytest.fixture
def office_phone(world):
    office = world.organisations["office"]
    office.phone = "010-85551234"
    office.save()


def _build(world, anomalies):
    return synthetic.build(
        month=MONTH, territory=world.territories["street_b"], general_contractor=world.enterprises["contractor_a"],
        clean_projects=0 if anomalies else 1, anomalies=anomalies,
    )


class Staged:
    """A synthetic month taken apart so that it can be uploaded again in the documented order:
    attendance (kept), then the payroll sheet, then the bank's rows."""

    def __init__(self, project_id):
        self.project_id = project_id
        self.sheets = list(PayrollSheet.objects.filter(project_id=project_id))
        self.lines = list(PayrollLine.objects.filter(sheet__project_id=project_id))
        self.payments = list(BankDisbursement.objects.filter(project_id=project_id))
        BankDisbursement.objects.filter(project_id=project_id).delete()
        PayrollLine.objects.filter(sheet__project_id=project_id).delete()
        PayrollSheet.objects.filter(project_id=project_id).delete()

    def payroll(self):
        PayrollSheet.objects.bulk_create(self.sheets)
        PayrollLine.objects.bulk_create(self.lines)

    def bank(self):
        BankDisbursement.objects.bulk_create(self.payments)


def _run(project_ids, as_of, **kwargs):
    return reconcile(actor=None, month=MONTH, project_ids=project_ids, as_of=as_of, **kwargs)


def _cases(project_id):
    return Case.objects.filter(project_id=project_id).count()


def test_documented_upload_order_of_a_clean_month_opens_no_case_at_any_step(world, office_phone):
    result = _build(world, [])
    pid = result.project_ids[0]
    staged = Staged(pid)
    _run([pid], IN_WINDOW)  # attendance only: everyone looks unpaid, but the month is provisional
    assert Finding.objects.filter(project_id=pid, status="open").exists()
    assert month_state(world_project(pid), MONTH, as_of=IN_WINDOW).label == "数据未齐"
    assert _cases(pid) == 0
    staged.payroll()
    _run([pid], IN_WINDOW)
    assert _cases(pid) == 0
    staged.bank()
    _run([pid], IN_WINDOW)
    assert _cases(pid) == 0
    assert not Finding.objects.filter(project_id=pid, status="open").exists()
    assert not PayrollWarning.objects.filter(project_id=pid, active=True).exists()
    assert month_state(world_project(pid), MONTH, as_of=IN_WINDOW).settled


def world_project(pk):
    from wagewatch.registry.models import Project

    return Project.objects.get(pk=pk)


def test_a_month_that_ends_orange_then_clean_opens_nothing(world, office_phone):
    result = _build(world, ["shortfall"])  # one worker 1,000 yuan short: orange, below the rule
    pid = result.project_ids[0]
    staged = Staged(pid)
    for step in (None, staged.payroll, staged.bank):
        if step:
            step()
        _run([pid], IN_WINDOW)
        assert _cases(pid) == 0
    warning = PayrollWarning.objects.get(project_id=pid, month=MONTH)
    assert warning.level == WarningLevel.ORANGE and warning.active and warning.case is None
    # the shortfall is paid: clean, still nothing
    short = next(p for p in result.planted if p.kind == "shortfall")
    pay = BankDisbursement.objects.filter(project_id=pid).first()
    BankDisbursement.objects.create(
        project_id=pid, paid_at=pay.paid_at, payee_name=short_name(short), payee_account=short_card(short), amount=short.amount,
        reference="TOPUP-1", month=MONTH,
    )
    _run([pid], IN_WINDOW)
    assert _cases(pid) == 0
    assert not PayrollWarning.objects.filter(project_id=pid, active=True).exists()


def short_name(plant):
    from wagewatch.payroll.models import ProjectWorker

    return ProjectWorker.objects.select_related("worker").get(pk=int(plant.subject.split(":")[1])).worker.name


def short_card(plant):
    from wagewatch.payroll.models import ProjectWorker

    return ProjectWorker.objects.get(pk=int(plant.subject.split(":")[1])).bank_card


def test_a_settled_red_month_opens_exactly_one_case(world, office_phone):
    result = _build(world, ["large_payment_to_one"])
    pid = result.project_ids[0]
    _run([pid], IN_WINDOW)
    _run([pid], IN_WINDOW)
    _run([pid], LONG_AFTER)
    assert _cases(pid) == 1
    assert Complaint.objects.filter(channel=Channel.RECONCILIATION, project_id=pid).count() == 1


def test_before_the_pay_day_a_red_month_opens_no_case_unless_the_office_runs_it(world, office_phone):
    result = _build(world, ["large_payment_to_one"])
    pid = result.project_ids[0]
    before_pay_day = date(2026, 10, 10)
    _run([pid], before_pay_day)
    warning = PayrollWarning.objects.get(project_id=pid, month=MONTH)
    assert warning.level == WarningLevel.RED and warning.case is None
    _run([pid], before_pay_day, opens_provisional=True)  # the office's deliberate run
    warning.refresh_from_db()
    assert warning.case is not None and _cases(pid) == 1


def test_a_month_long_overdue_without_bank_rows_still_opens_its_case(world, office_phone):
    result = _build(world, [])
    pid = result.project_ids[0]
    staged = Staged(pid)
    staged.payroll()  # attendance and payroll, the bank never sends anything
    _run([pid], IN_WINDOW)
    assert _cases(pid) == 0
    _run([pid], LONG_AFTER)
    state = month_state(world_project(pid), MONTH, as_of=LONG_AFTER)
    assert state.settled and state.label == "数据逾期未齐" and state.missing == ["银行代发流水"]
    assert _cases(pid) == 1
    assert "仍缺银行代发流水" in Case.objects.get(project_id=pid).summary


def test_grace_days_are_the_offices_setting_with_history(world, office_phone):
    from wagewatch.payroll.reconciliation.rules import case_opening_rule_update

    result = _build(world, ["large_payment_to_one"])
    pid = result.project_ids[0]
    case_opening_rule_update(actor=world.users["office_staff"], grace_days=15)
    _run([pid], IN_WINDOW)  # 25 October is within 15 days of the pay day
    assert _cases(pid) == 0
    event = Event.objects.filter(action="payroll.case_opening_rule_update").order_by("-seq").first()
    assert event.payload_data["before"]["grace_days"] == 5 and event.payload_data["after"]["grace_days"] == 15
    with pytest.raises(Exception, match="0至90"):
        case_opening_rule_update(actor=world.users["office_staff"], grace_days="两周")
    assert CaseOpeningRule.objects.get().grace_days == 15


def test_the_rules_page_edits_the_grace_and_says_the_office_run_opens_cases(client, world):
    client.force_login(world.users["office_staff"])
    page = client.get(reverse("payroll:reconciliation"))
    html = page.content.decode()
    assert 'name="grace_days"' in html and 'name="incomplete_wait_days"' in html and "主动核对" in html
    rule = CaseOpeningRule.objects.get()
    client.post(reverse("payroll:reconciliation"), {
        "action": "case_rule", "min_level": rule.min_level, "min_shortfall_total": "50000", "min_workers_affected": "10",
        "grace_days": "7", "incomplete_wait_days": "20",
    })
    rule.refresh_from_db()
    assert (rule.grace_days, rule.incomplete_wait_days) == (7, 20)


def test_a_cleared_warning_tells_the_unit_which_may_close_as_no_arrears(world, office_phone):
    result = _build(world, [])
    pid = result.project_ids[0]
    staged = Staged(pid)
    staged.payroll()
    _run([pid], LONG_AFTER)  # no bank rows long after the pay day: red, a case
    warning = PayrollWarning.objects.get(project_id=pid, month=MONTH)
    case = warning.case
    assert case is not None and case.state == CaseState.DISPATCHED and case.lead_organisation_id
    unit = unit_user(world, case)
    cs.case_accept(actor=unit, case=case)
    with pytest.raises(Exception, match="尚未解除"):
        cs.case_close_no_arrears(actor=unit, case=case, note="银行流水已补报,工资已按时发放")
    assert not Notification.objects.filter(case_number=case.number, title__contains="预警已解除").exists()
    staged.bank()  # the bank's rows arrive: paid on time after all
    _run([pid], LONG_AFTER)
    warning.refresh_from_db()
    assert not warning.active
    notice = Notification.objects.get(case_number=case.number, title__contains="预警已解除")
    assert notice.recipient_organisation_id == case.lead_organisation_id and "核实无欠薪" in notice.body
    _run([pid], LONG_AFTER)  # told once
    assert Notification.objects.filter(case_number=case.number, title__contains="预警已解除").count() == 1
    cs.case_close_no_arrears(actor=unit, case=case, note="银行流水已补报,工资已按时发放")  # no evidence, no amount
    case.refresh_from_db()
    assert case.state == CaseState.CLOSED and case.amount_paid is None and case.closed_at
    event = Event.objects.filter(action="case.close_no_arrears", object_id=str(case.pk)).get()
    assert event.payload_data["note"] == "银行流水已补报,工资已按时发放"


def test_no_arrears_closure_is_offered_on_the_case_page_only_when_cleared(client, world, office_phone):
    result = _build(world, [])
    pid = result.project_ids[0]
    staged = Staged(pid)
    staged.payroll()
    _run([pid], LONG_AFTER)
    case = PayrollWarning.objects.get(project_id=pid, month=MONTH).case
    client.force_login(unit_user(world, case))
    url = reverse("cases:detail", args=[case.pk])
    assert 'data-action="close_no_arrears"' not in client.get(url).content.decode()
    staged.bank()
    _run([pid], LONG_AFTER)
    assert 'data-action="close_no_arrears"' in client.get(url).content.decode()
    response = client.post(reverse("cases:action", args=[case.pk, "close_no_arrears"]), {"close_no_arrears-note": "复核银行流水,工资已足额发放"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.CLOSED


def test_a_case_with_a_workers_complaint_is_not_closed_as_no_arrears(world, office_phone):
    result = _build(world, [])
    pid = result.project_ids[0]
    staged = Staged(pid)
    staged.payroll()
    _run([pid], LONG_AFTER)
    case = PayrollWarning.objects.get(project_id=pid, month=MONTH).case
    staged.bank()
    _run([pid], LONG_AFTER)
    Complaint.objects.filter(case=case).update(channel=Channel.HOTLINE_12345)
    with pytest.raises(Exception, match="劳动者或其他渠道的投诉"):
        cs.case_close_no_arrears(actor=unit_user(world, case), case=case, note="银行流水已补报")


def test_fewer_paid_counts_the_workers_its_evidence_lists(world, office_phone):
    """A back-pay worker who did not attend and was paid does not make up for an attending worker
    who got nothing: the figure is the attending workers unpaid, the same as the evidence."""
    result = _build(world, ["attendance_without_wage"])
    pid = result.project_ids[0]
    plant = next(p for p in result.planted if p.kind == "attendance_without_wage")
    unpaid_pw = int(plant.subject.split(":")[1])
    from wagewatch.payroll.models import Attendance, ProjectWorker

    # Another worker did not attend this month but got back pay (补发) to his own card.
    other = ProjectWorker.objects.filter(project_id=pid).exclude(pk=unpaid_pw).select_related("worker").first()
    Attendance.objects.filter(project_worker=other).delete()
    PayrollLine.objects.filter(project_worker=other).update(back_pay=True)
    _run([pid], IN_WINDOW)
    f = Finding.objects.get(project_id=pid, kind="fewer_paid_than_attending")
    assert f.evidence["project_worker_ids"] == [unpaid_pw]
    assert f.workers_affected == len(f.evidence["project_worker_ids"]) == 1
    assert f.detail["attending"] - f.detail["paid"] == 1 and f.detail["paid_not_attending"] == 1


def test_project_page_marks_a_provisional_month(client, world):
    """Last month before its pay day: the payroll sheet is in, the bank has paid nothing yet. The
    bank-payroll rate is 0 % but provisional (no red, not "未落实")."""
    from django.utils import timezone

    from wagewatch.payroll.models import WageAccount

    result = _build(world, [])
    pid = result.project_ids[0]
    Staged(pid).payroll()
    last = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)
    move_month(pid, last)
    WageAccount.objects.filter(project_id=pid).update(pay_day=28)  # 28th of this month: not yet
    client.force_login(world.users["office_staff"])
    html = client.get(reverse("payroll:project", args=[pid]), {"month": f"{last:%Y-%m}"}).content.decode()
    assert "暂定" in html and "未到发薪日" in html
    rate = html.split('data-rate="bank_payroll"')[1].split('data-rate="paid_in_full"')[0]
    assert "num red" not in rate and "0.0%" in rate and "未到发薪日" in rate
    systems = html.split('data-check="bank_payroll"')[1].split("</li>")[0]
    assert "未落实" not in systems and "未到发薪日" in systems
    listing = client.get(reverse("payroll:project_list"), {"month": f"{last:%Y-%m}", "q": world_project(pid).code}).content.decode()
    row = listing.split(reverse("payroll:project", args=[pid]))[1].split("</tr>")[0]
    assert row.count('title="暂定:') == 2  # bank payroll and paid in full: shown, not judged


def move_month(pid, target):
    """Move a synthetic month's attendance and payroll sheet to the month `target`."""
    from wagewatch.payroll.models import Attendance

    PayrollSheet.objects.filter(project_id=pid).update(month=target)
    delta = target - MONTH
    for a in Attendance.objects.filter(project_id=pid):
        a.at = a.at + delta
        a.save(update_fields=["at"])


def test_the_daily_job_reconciles_a_month_when_its_grace_and_its_wait_end(world, monkeypatch):
    from django.utils import timezone

    from wagewatch.payroll import tasks

    result = _build(world, [])
    pid = result.project_ids[0]
    world_project(pid).__class__.objects.filter(pk=pid).update(under_full_supervision=True)
    sent = []
    monkeypatch.setattr(tasks, "reconcile_split", lambda *, month, project_ids, **kw: sent.append((month, project_ids)) or len(sent))
    # pay day 15 October, grace 5, wait 10: the day after each of 15, 20 and 30 October
    for today, expected in ((date(2026, 10, 16), True), (date(2026, 10, 21), True), (date(2026, 10, 31), True), (date(2026, 10, 22), False)):
        sent.clear()
        monkeypatch.setattr(timezone, "localdate", lambda today=today: today)
        tasks.reconcile_after_pay_day()
        assert ((MONTH, [pid]) in [(m, [p for p in ids if p == pid]) for m, ids in sent]) is expected, today


def test_the_api_closes_a_cleared_automatic_case_as_no_arrears(client, world, office_phone):
    """The page and the API offer the same closing, with the same refusal while the warning stands."""
    result = _build(world, [])
    pid = result.project_ids[0]
    staged = Staged(pid)
    staged.payroll()
    _run([pid], LONG_AFTER)
    case = PayrollWarning.objects.get(project_id=pid, month=MONTH).case
    client.force_login(unit_user(world, case))
    url = f"/api/v1/cases/{case.number}/transitions"
    body = {"action": "close_no_arrears", "note": "复核银行流水,工资已足额发放"}
    detail = client.get(f"/api/v1/cases/{case.number}").json()
    assert "close_no_arrears" not in [a["action"] for a in detail.get("actions", [])]
    refused = client.post(url, body, content_type="application/json")
    assert refused.status_code in (409, 422) and "尚未解除" in refused.content.decode()
    staged.bank()
    _run([pid], LONG_AFTER)
    detail = client.get(f"/api/v1/cases/{case.number}").json()
    assert "close_no_arrears" in [a["action"] for a in detail.get("actions", [])]
    done = client.post(url, body, content_type="application/json")
    assert done.status_code == 200, done.content.decode()
    case.refresh_from_db()
    assert case.state == CaseState.CLOSED and case.amount_paid is None

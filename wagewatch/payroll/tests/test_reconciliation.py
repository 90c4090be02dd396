"""The monthly reconciliation engine over synthetic projects with planted anomalies."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest

from wagewatch.cases.models import Case
from wagewatch.history.models import Event
from wagewatch.intake.models import Channel, Complaint
from wagewatch.payroll import synthetic
from wagewatch.payroll.models import (
    CaseOpeningRule,
    Finding,
    FindingKind,
    FindingRule,
    PayrollWarning,
    ProjectWorker,
    ReconciliationRun,
    WarningLevel,
)
from wagewatch.payroll.reconciliation import reconcile

MONTH = date(2026, 9, 1)
AS_OF = date(2026, 11, 5)  # after the pay day (15 October) and after October


def _office_phone(world):
    office = world.organisations["office"]
    office.phone = "010-85551234"
    office.save()


@pytest.fixture
def month(world):
    _office_phone(world)
    return synthetic.build(month=MONTH, territory=world.territories["street_b"], general_contractor=world.enterprises["contractor_a"])


def _run(result, **kwargs):
    return reconcile(actor=None, month=result.month, project_ids=result.project_ids, as_of=AS_OF, **kwargs)


def _found(project_ids):
    return {(f.project_id, f.kind, f.subject): f for f in Finding.objects.filter(project_id__in=project_ids, status=Finding.Status.OPEN)}


def _snapshot(project_ids):
    return sorted(
        (f.project_id, f.kind, f.subject, f.level, str(f.amount), f.workers_affected, f.status, repr(sorted(f.evidence.items())))
        for f in Finding.objects.filter(project_id__in=project_ids)
    )


def test_every_planted_anomaly_is_found_with_its_kind_and_amount(month):
    run = _run(month)
    assert run.status == ReconciliationRun.Status.DONE
    assert run.projects_done == run.projects_total == len(month.project_ids)
    found = _found(month.project_ids)
    planted_kinds = {p.kind for p in month.planted}
    assert planted_kinds == set(FindingKind.values)  # every kind is planted
    for p in month.planted:
        f = found.get((p.project_id, p.kind, p.subject))
        assert f is not None, f"planted {p.kind} {p.subject} not found; found {sorted(k for k in found if k[0] == p.project_id)}"
        assert f.amount == p.amount, (p.kind, f.amount, p.amount)
        assert f.level == FindingRule.objects.get(kind=p.kind).level
    # nothing else than the planted kinds and what they bring with them
    allowed = defaultdict(set)
    for p in month.planted:
        allowed[p.project_id] |= {p.kind} | p.side_kinds
    for (pid, kind, subject), f in found.items():
        assert kind in allowed[pid], f"unexpected {kind} {subject} on project {pid}: {f.detail}"


def test_a_clean_month_yields_no_finding(month):
    _run(month)
    assert not Finding.objects.filter(project_id__in=month.clean_project_ids).exists()
    assert not PayrollWarning.objects.filter(project_id__in=month.clean_project_ids, active=True).exists()


def test_findings_carry_their_evidence_rows(month):
    _run(month)
    shortfall = next(p for p in month.planted if p.kind == "shortfall")
    f = Finding.objects.get(project_id=shortfall.project_id, kind="shortfall", subject=shortfall.subject)
    assert len(f.evidence["attendance_ids"]) == 44  # 22 days × in and out
    assert len(f.evidence["payroll_line_ids"]) == 1 and len(f.evidence["disbursement_ids"]) == 1
    assert Decimal(str(f.detail["owed"])) - Decimal(str(f.detail["bank_paid"])) == Decimal("1000")
    assert f.project_worker_id == int(shortfall.subject.split(":")[1])
    assert f.enterprise_id == f.project.general_contractor_id


def test_rerun_changes_nothing_and_duplicates_nothing(month):
    _run(month)
    before = _snapshot(month.project_ids)
    count = Finding.objects.count()
    cases = Case.objects.count()
    _run(month)
    assert Finding.objects.count() == count
    assert _snapshot(month.project_ids) == before
    assert Case.objects.count() == cases
    # one history event per project-month run
    assert Event.objects.filter(action="payroll.reconcile").count() == 2 * len(month.project_ids)


def test_findings_no_longer_present_are_resolved(month):
    _run(month)
    late = next(p for p in month.planted if p.kind == "late_payment")
    FindingRule.objects.filter(kind="late_payment").update(threshold=Decimal("10"))  # 5 days late now tolerated
    _run(month)
    f = Finding.objects.get(project_id=late.project_id, kind="late_payment", subject=late.subject)
    assert f.status == Finding.Status.RESOLVED
    assert not PayrollWarning.objects.filter(project_id=late.project_id, active=True).exists()


def test_edited_thresholds_change_results(month):
    low = next(p for p in month.planted if p.kind == "low_average_pay")
    FindingRule.objects.filter(kind="low_average_pay").update(threshold=Decimal("1500"))
    _run(month)
    assert not Finding.objects.filter(project_id=low.project_id, kind="low_average_pay").exists()
    FindingRule.objects.filter(kind="low_average_pay").update(threshold=Decimal("1890"), level=WarningLevel.ORANGE)
    _run(month)
    f = Finding.objects.get(project_id=low.project_id, kind="low_average_pay")
    assert f.level == WarningLevel.ORANGE and f.amount == low.amount


def test_disabled_rule_produces_nothing(month):
    FindingRule.objects.filter(kind="shortfall").update(enabled=False)
    _run(month)
    assert not Finding.objects.filter(kind="shortfall").exists()
    assert Finding.objects.filter(kind="late_payment").exists()


def test_warning_levels_and_one_case_per_red_project_month(month):
    _run(month)
    large = next(p for p in month.planted if p.kind == "large_payment_to_one")
    warning = PayrollWarning.objects.get(project_id=large.project_id, month=MONTH)
    assert warning.level == WarningLevel.RED and warning.active
    assert warning.case is not None
    complaint = Complaint.objects.get(channel=Channel.RECONCILIATION, external_id=f"recon-{warning.project.code}-202609")
    assert complaint.case_id == warning.case_id
    # Every red project of the same contractor has a case of its own (the office reports them all,
    # so the same reporter does not make them repeats of one another).
    red = PayrollWarning.objects.filter(month=MONTH, level=WarningLevel.RED)
    assert red.count() > 1 and all(w.case_id for w in red)
    assert len({w.case_id for w in red}) == red.count()
    assert all(w.case.project_id == w.project_id for w in red.select_related("case"))
    late = next(p for p in month.planted if p.kind == "late_payment")
    yellow = PayrollWarning.objects.get(project_id=late.project_id, month=MONTH)
    assert yellow.level == WarningLevel.YELLOW and yellow.case is None  # below the case-opening rule
    cases = Case.objects.count()
    _run(month)
    assert Case.objects.count() == cases
    assert Complaint.objects.filter(channel=Channel.RECONCILIATION, external_id=complaint.external_id).count() == 1


def test_case_opening_rule_by_shortfall_total(month):
    CaseOpeningRule.objects.update(min_level=WarningLevel.RED, min_shortfall_total=Decimal("500"), min_workers_affected=1000)
    _run(month)
    short = next(p for p in month.planted if p.kind == "shortfall")
    assert PayrollWarning.objects.get(project_id=short.project_id).case is not None  # orange, but 1,000 yuan short


def test_exit_without_settlement_is_yellow_while_a_complaint_is_handled(month, world):
    from wagewatch.intake.services import ComplaintInput, WorkerInput, complaint_register

    exit_plant = next(p for p in month.planted if p.kind == "exit_without_settlement")
    pw = ProjectWorker.objects.select_related("worker", "project").get(pk=int(exit_plant.subject.split(":")[1]))
    complaint_register(
        actor=None, channel=Channel.HOTLINE_12345,
        data=ComplaintInput(
            complainant_name=pw.worker.name, complainant_phone="13900000001", employer_name="东城建工集团有限公司",
            amount_owed="3000", project_id=pw.project_id, workers=[WorkerInput(pw.worker.name, id_number=pw.worker.id_number)],
            description="退场未结算",
        ),
    )
    _run(month)
    f = Finding.objects.get(project_id=exit_plant.project_id, kind="exit_without_settlement")
    assert f.level == WarningLevel.YELLOW
    assert f.detail["complaint_case_id"]


def test_before_the_pay_day_unpaid_wages_are_not_findings_yet(month):
    reconcile(actor=None, month=MONTH, project_ids=month.project_ids, as_of=date(2026, 10, 10))
    assert not Finding.objects.filter(kind__in=["shortfall", "no_outflow_on_pay_day", "no_wage_from_account", "attendance_without_wage"]).exists()
    assert Finding.objects.filter(kind="low_average_pay").exists()  # the sheet itself is already wrong


def test_no_case_without_a_reporting_phone(world):
    result = synthetic.build(
        month=MONTH, territory=world.territories["street_b"], general_contractor=world.enterprises["contractor_a"],
        clean_projects=0, anomalies=["large_payment_to_one"],
    )
    run = reconcile(actor=None, month=MONTH, project_ids=result.project_ids, as_of=AS_OF)
    warning = PayrollWarning.objects.get(project_id=result.project_ids[0])
    assert warning.level == WarningLevel.RED and warning.case is None
    assert "未自动立案" in run.error


def test_a_back_pay_line_is_not_wage_without_attendance(month):
    from wagewatch.payroll.models import PayrollLine

    plant = next(p for p in month.planted if p.kind == "wage_without_attendance")
    PayrollLine.objects.filter(project_worker_id=int(plant.subject.split(":")[1])).update(back_pay=True)
    _run(month)
    assert not Finding.objects.filter(project_id=plant.project_id, kind="wage_without_attendance").exists()


def test_findings_say_what_they_are_about_in_words(month):
    _run(month)
    foreman = next(p for p in month.planted if p.kind == "paid_to_other" and p.subject.startswith("acct:"))
    f = Finding.objects.get(project_id=foreman.project_id, kind="paid_to_other", subject=foreman.subject)
    assert f.detail["subject_label"].startswith("收款账户 **** **** ****")
    short = Finding.objects.filter(kind="shortfall").select_related("project_worker__worker").first()
    assert short.detail["subject_label"] == short.project_worker.worker.name
    assert Finding.objects.filter(subject="project").first().detail["subject_label"] == "全项目"

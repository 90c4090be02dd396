"""Escalation paths beside the case state: who may open each kind, who acts on it (and so sees
the case), the advance payment's approval and recovery, outcomes of legal procedures."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from wagewatch.cases import escalations as esc
from wagewatch.cases.models import AdvanceRecovery, CaseAssignment, CaseState, DeadlineKind, Escalation
from wagewatch.cases.selectors import cases_visible, unit_inbox
from wagewatch.history.labels import action_label
from wagewatch.history.models import Event
from wagewatch.notify.models import Notification
from wagewatch.testing.cases import dispatch, register, walk_to

K = Escalation.Kind


@pytest.fixture
def case(world):
    """A street A case being handled: verified 18,000 yuan owed to 3 workers, facts clear."""
    return walk_to(world, register(world).case, CaseState.HANDLING)


def events(case, action):
    return Event.objects.filter(object_type="cases.case", object_id=str(case.pk), action=action).order_by("seq")


def escalation_assignment(case, org):
    return CaseAssignment.objects.filter(case=case, organisation=org, role=CaseAssignment.Role.ESCALATION, active=True)


def test_every_escalation_action_has_a_chinese_label():
    for action in (
        "case.escalation_opened", "case.escalation_proposed", "case.escalation_approved", "case.escalation_rejected",
        "case.escalation_closed", "case.escalation_recovery",
    ):
        assert action_label(action) != action


# ---------------------------------------------------------------- labour inspection, transfers, meetings


def test_labour_inspection_goes_to_the_territorys_brigade_and_inspectors_see_it(world, case):
    handler = world.users["street_a_handler"]
    e = esc.escalation_open(actor=handler, case=case, kind=K.LABOUR_INSPECTION, reason="用人单位拒不配合核实,提请监察立案")
    assert e.status == Escalation.Status.OPEN and e.organisation == world.organisations["inspection"]
    assert e.opened_by == handler
    assert escalation_assignment(case, world.organisations["inspection"]).exists()
    assert case in unit_inbox(world.users["inspector"])
    note = Notification.objects.get(recipient_organisation=world.organisations["inspection"])
    assert note.kind == "escalation" and note.case_number == case.number and note.link == f"/cases/{case.pk}/"
    event = events(case, "case.escalation_opened").get()
    assert event.payload_data["kind"] == "labour_inspection" and event.payload_data["organisation"] == world.organisations["inspection"].name
    case.refresh_from_db()
    assert case.state == CaseState.HANDLING  # escalations run beside the state


def test_the_inspector_closes_the_investigation_and_the_brigade_leaves_the_case(world, case):
    e = esc.escalation_open(actor=world.users["office_staff"], case=case, kind=K.LABOUR_INSPECTION, reason="逾期未解决,提请监察")
    with pytest.raises(PermissionDenied):
        esc.escalation_close(actor=world.users["street_a_handler"], escalation=e, outcome="已责令限期支付")
    e = esc.escalation_close(actor=world.users["inspector"], escalation=e, outcome="已下达劳动保障监察责令改正决定书")
    assert e.status == Escalation.Status.CLOSED and e.closed_by == world.users["inspector"]
    assert not escalation_assignment(case, world.organisations["inspection"]).exists()
    assert events(case, "case.escalation_closed").get().payload_data["outcome"] == "已下达劳动保障监察责令改正决定书"
    with pytest.raises(ValidationError):
        esc.escalation_close(actor=world.users["inspector"], escalation=e, outcome="再次办结")


def test_illegal_subcontracting_goes_to_the_industry_authority(world):
    project = world.projects["road_a"]
    case = walk_to(world, register(world, project_id=project.pk, employer_name="东城大道劳务班组", employer_credit_code="").case, CaseState.ACCEPTED)
    assert case.lead_organisation == world.organisations["soe_owner"]
    transport = world.users["transport_handler"]
    e = esc.escalation_open(actor=world.users["soe_handler"], case=case, kind=K.INDUSTRY_AUTHORITY, reason="施工单位违法分包给无资质个人")
    assert e.organisation == world.organisations["transport"]
    assert cases_visible(transport).filter(pk=case.pk).exists()
    assert case in unit_inbox(transport)


def test_industry_authority_needs_someone_to_send_to(world, case):
    # A garment factory: no industry bureau in the world.
    with pytest.raises(ValidationError) as err:
        esc.escalation_open(actor=world.users["office_staff"], case=case, kind=K.INDUSTRY_AUTHORITY, reason="违法分包")
    assert "主管部门" in err.value.message_dict["organisation"][0]
    assert not Escalation.objects.exists()
    e = esc.escalation_open(
        actor=world.users["office_staff"], case=case, kind=K.INDUSTRY_AUTHORITY, reason="违法分包", organisation=world.organisations["housing"]
    )
    assert e.organisation == world.organisations["housing"]


def test_disputes_go_to_the_joint_meeting_of_the_office(world, case):
    e = esc.escalation_open(actor=world.users["street_a_leader"], case=case, kind=K.JOINT_MEETING, reason="双方对工程量结算争议较大")
    assert e.organisation == world.organisations["office"]


# ---------------------------------------------------------------- who may open what


def test_only_the_office_and_the_lead_unit_open_escalations(world, case):
    for key in ("street_b_handler", "housing_handler", "police_officer", "grid_a_worker", "labour_manager"):
        with pytest.raises(PermissionDenied):
            esc.escalation_open(actor=world.users[key], case=case, kind=K.JOINT_MEETING, reason="争议较大需会商")
    with pytest.raises(PermissionDenied):
        esc.escalation_open(actor="劳动者:139****0001", case=case, kind=K.LEGAL_AID, reason="申请法律援助", requested_on="2026-11-01")
    with pytest.raises(PermissionDenied, match="劳动保障监察员"):
        esc.escalation_open(actor=world.users["inspector"], case=case, kind=K.LABOUR_INSPECTION, reason="自行立案")
    assert not Escalation.objects.exists()


def test_kinds_available_to_each_actor(world, case):
    assert esc.escalation_kinds_available(world.users["inspector"], case) == [K.CRIMINAL_REFERRAL, K.BLACKLIST_PROPOSAL]
    assert esc.escalation_kinds_available(world.users["street_a_handler"], case) == list(K.values)
    assert esc.escalation_kinds_available(world.users["street_b_handler"], case) == []
    esc.escalation_open(actor=world.users["office_staff"], case=case, kind=K.JOINT_MEETING, reason="争议较大需会商")
    assert K.JOINT_MEETING not in esc.escalation_kinds_available(world.users["office_staff"], case)


def test_one_running_escalation_of_a_kind_per_case(world, case):
    esc.escalation_open(actor=world.users["office_staff"], case=case, kind=K.JOINT_MEETING, reason="争议较大需会商")
    with pytest.raises(ValidationError, match="已有办理中"):
        esc.escalation_open(actor=world.users["street_a_handler"], case=case, kind=K.JOINT_MEETING, reason="再次提请会商")


@pytest.mark.parametrize("end", [CaseState.CLOSED, CaseState.MERGED])
def test_no_escalation_on_a_closed_or_merged_case(world, end):
    if end == CaseState.CLOSED:
        case = walk_to(world, register(world).case, CaseState.CLOSED)
    else:
        from wagewatch.cases.services import case_merge

        case = case_merge(actor=world.users["office_staff"], case=register(world).case, into=register(world).case, reason="同一批工人")
    with pytest.raises(ValidationError, match="不能再发起"):
        esc.escalation_open(actor=world.users["office_staff"], case=case, kind=K.JOINT_MEETING, reason="争议较大需会商")
    assert not case.escalations.exists()
    assert esc.escalation_kinds_available(world.users["office_staff"], case) == []


def test_reason_is_required(world, case):
    with pytest.raises(ValidationError) as err:
        esc.escalation_open(actor=world.users["office_staff"], case=case, kind=K.JOINT_MEETING, reason="  ")
    assert "理由" in err.value.message_dict["reason"][0]


# ---------------------------------------------------------------- advance payment


def test_advance_payment_needs_verified_figures(world):
    case = dispatch(world, register(world).case)
    with pytest.raises(ValidationError) as err:
        esc.escalation_open(actor=world.users["office_staff"], case=case, kind=K.ADVANCE_PAYMENT, reason="欠薪企业无力支付", amount="18000", worker_count=3)
    assert "核实" in err.value.message_dict["amount"][0]


def test_advance_payment_amount_and_workers_at_most_the_verified_ones(world, case):
    office = world.users["office_staff"]
    with pytest.raises(ValidationError) as err:
        esc.escalation_open(actor=office, case=case, kind=K.ADVANCE_PAYMENT, reason="企业无力支付", amount="18000.01", worker_count=4)
    assert set(err.value.message_dict) == {"amount", "worker_count"}
    with pytest.raises(ValidationError) as err:
        esc.escalation_open(actor=office, case=case, kind=K.ADVANCE_PAYMENT, reason="企业无力支付")
    assert set(err.value.message_dict) == {"amount", "worker_count"}
    assert not Escalation.objects.exists()


def test_advance_payment_proposed_approved_recovered_and_closed(world, case):
    trigger = case.deadlines.get(kind=DeadlineKind.ADVANCE_PAYMENT_TRIGGER, status="open")
    e = esc.escalation_open(
        actor=world.users["street_a_handler"], case=case, kind=K.ADVANCE_PAYMENT, reason="企业负责人失联,无力支付", amount="18000", worker_count=3
    )
    assert e.status == Escalation.Status.PROPOSED and e.amount == Decimal("18000.00") and e.worker_count == 3
    # The office leader is asked to approve; nothing is met yet.
    assert Notification.objects.filter(recipient_user=world.users["office_leader"], case_number=case.number).exists()
    trigger.refresh_from_db()
    assert trigger.status == "open"
    assert events(case, "case.escalation_proposed").exists()

    for key in ("office_staff", "street_a_leader", "clerk", "admin"):
        with pytest.raises(PermissionDenied):
            esc.escalation_approve(actor=world.users[key], escalation=e, approved=True, note="同意")
    with pytest.raises(ValidationError, match="尚未审批"):
        esc.escalation_close(actor=world.users["office_staff"], escalation=e, outcome="办结")
    with pytest.raises(ValidationError, match="尚未批准"):
        esc.advance_recovery_record(actor=world.users["office_staff"], escalation=e, amount="100", recovered_on=timezone.localdate())

    leader = world.users["office_leader"]
    e = esc.escalation_approve(actor=leader, escalation=e, approved=True, note="同意从应急周转金垫付")
    assert e.status == Escalation.Status.OPEN and e.approved_by == leader and e.approved_at is not None
    trigger.refresh_from_db()
    assert trigger.status == "met"
    case.refresh_from_db()
    assert case.next_due_kind != DeadlineKind.ADVANCE_PAYMENT_TRIGGER and case.state == CaseState.HANDLING
    assert events(case, "case.escalation_approved").get().payload_data["amount"] == "18000.00"
    with pytest.raises(ValidationError):
        esc.escalation_approve(actor=leader, escalation=e, approved=True, note="再次批准")

    today = timezone.localdate()
    staff = world.users["office_staff"]
    esc.advance_recovery_record(actor=staff, escalation=e, amount="10000", recovered_on=today, note="法院执行到位")
    with pytest.raises(ValidationError) as err:
        esc.advance_recovery_record(actor=staff, escalation=e, amount="8000.01", recovered_on=today)
    assert "尚可追回8,000.00元" in err.value.message_dict["amount"][0]
    with pytest.raises(ValidationError):
        esc.advance_recovery_record(actor=staff, escalation=e, amount="100", recovered_on=today + timedelta(days=1))
    with pytest.raises(ValidationError):
        esc.advance_recovery_record(actor=staff, escalation=e, amount="100", recovered_on=today - timedelta(days=1))  # before approval
    with pytest.raises(PermissionDenied):
        esc.advance_recovery_record(actor=world.users["street_a_handler"], escalation=e, amount="100", recovered_on=today)
    e.refresh_from_db()
    assert e.recovered_amount == Decimal("10000.00") and e.remaining_amount == Decimal("8000.00")
    assert AdvanceRecovery.objects.filter(escalation=e).count() == 1
    recovery = events(case, "case.escalation_recovery").get().payload_data
    assert recovery["recovered"] == "10000.00" and recovery["remaining"] == "8000.00"

    with pytest.raises(PermissionDenied):
        esc.escalation_close(actor=world.users["street_a_handler"], escalation=e, outcome="结束")
    e = esc.escalation_close(actor=staff, escalation=e, outcome="余款转入法院强制执行程序")
    closed = events(case, "case.escalation_closed").get().payload_data
    assert closed["remaining"] == "8000.00" and closed["recovered"] == "10000.00"
    with pytest.raises(ValidationError):
        esc.advance_recovery_record(actor=staff, escalation=e, amount="100", recovered_on=today)


def test_recovery_goes_on_after_the_case_is_closed(world, case):
    e = esc.escalation_open(actor=world.users["office_staff"], case=case, kind=K.ADVANCE_PAYMENT, reason="企业无力支付", amount="12000", worker_count=2)
    esc.escalation_approve(actor=world.users["office_leader"], escalation=e, approved=True, note="同意")
    case = walk_to(world, case, CaseState.CLOSED)
    esc.advance_recovery_record(actor=world.users["office_staff"], escalation=e, amount="12000", recovered_on=timezone.localdate())
    e.refresh_from_db()
    assert e.remaining_amount == 0


def test_a_rejected_proposal_needs_a_reason_and_can_be_proposed_again(world, case):
    e = esc.escalation_open(actor=world.users["office_staff"], case=case, kind=K.ADVANCE_PAYMENT, reason="企业无力支付", amount="18000", worker_count=3)
    with pytest.raises(ValidationError):
        esc.escalation_approve(actor=world.users["office_leader"], escalation=e, approved=False, note="")
    e = esc.escalation_approve(actor=world.users["office_leader"], escalation=e, approved=False, note="企业尚有可执行财产,先行追缴")
    assert e.status == Escalation.Status.REJECTED and e.approval_note == "企业尚有可执行财产,先行追缴"
    assert case.deadlines.get(kind=DeadlineKind.ADVANCE_PAYMENT_TRIGGER).status == "open"
    assert events(case, "case.escalation_rejected").exists()
    again = esc.escalation_open(actor=world.users["office_staff"], case=case, kind=K.ADVANCE_PAYMENT, reason="追缴无果", amount="18000", worker_count=3)
    assert again.status == Escalation.Status.PROPOSED


def test_approving_other_kinds_is_refused(world, case):
    e = esc.escalation_open(actor=world.users["office_staff"], case=case, kind=K.JOINT_MEETING, reason="争议较大需会商")
    with pytest.raises(ValidationError, match="无需审批"):
        esc.escalation_approve(actor=world.users["office_leader"], escalation=e, approved=True, note="")


# ---------------------------------------------------------------- referral and blacklist


def test_an_inspector_refers_to_the_police_with_grounds(world, case):
    inspector = world.users["inspector"]
    with pytest.raises(ValidationError) as err:
        esc.escalation_open(actor=inspector, case=case, kind=K.CRIMINAL_REFERRAL, reason="经责令支付仍不支付")
    assert "grounds" in err.value.message_dict
    with pytest.raises(ValidationError):
        esc.escalation_open(actor=inspector, case=case, kind=K.CRIMINAL_REFERRAL, reason="经责令支付仍不支付", grounds=["rich"])
    e = esc.escalation_open(
        actor=inspector, case=case, kind=K.CRIMINAL_REFERRAL, reason="经责令支付仍不支付,且转移工程款", grounds=["hiding_assets", "refusing_with_means"]
    )
    assert e.organisation == world.organisations["police"]
    assert e.details == {"grounds": ["hiding_assets", "refusing_with_means"]}
    police = world.users["police_officer"]
    assert cases_visible(police).filter(pk=case.pk).exists() and case in unit_inbox(police)
    esc.escalation_close(actor=police, escalation=e, outcome="已立案侦查")
    assert not cases_visible(police).filter(pk=case.pk).exists()


def test_a_blacklist_proposal_is_recorded_only(world, case):
    e = esc.escalation_open(actor=world.users["inspector"], case=case, kind=K.BLACKLIST_PROPOSAL, reason="恶意欠薪,情节严重")
    assert e.status == Escalation.Status.OPEN and e.organisation is None
    assert not CaseAssignment.objects.filter(case=case, role=CaseAssignment.Role.ESCALATION).exists()
    assert events(case, "case.escalation_opened").get().payload_data["kind"] == "blacklist_proposal"


# ---------------------------------------------------------------- legal procedures


def test_mediation_closes_with_judicial_confirmation(world, case):
    handler = world.users["street_a_handler"]
    e = esc.escalation_open(actor=handler, case=case, kind=K.MEDIATION, reason="双方同意调解")
    assert e.organisation == world.organisations["mediation"]
    e = esc.escalation_close(actor=handler, escalation=e, outcome="达成调解协议,分两期支付", judicial_confirmation=True)
    assert e.judicial_confirmation and e.outcome == "达成调解协议,分两期支付"
    assert events(case, "case.escalation_closed").get().payload_data["judicial_confirmation"] is True


@pytest.mark.parametrize("kind", [K.ARBITRATION, K.COURT])
def test_only_mediation_agreements_get_judicial_confirmation(world, case, kind):
    e = esc.escalation_open(actor=world.users["office_staff"], case=case, kind=kind, reason="事实争议需依法裁决")
    with pytest.raises(ValidationError) as err:
        esc.escalation_close(actor=world.users["street_a_handler"], escalation=e, outcome="裁决支付", judicial_confirmation=True)
    assert "judicial_confirmation" in err.value.message_dict
    e = esc.escalation_close(actor=world.users["street_a_handler"], escalation=e, outcome="裁决用人单位支付工资18000元")
    assert e.status == Escalation.Status.CLOSED and not e.judicial_confirmation


def test_legal_aid_on_request(world, case):
    office = world.users["office_staff"]
    with pytest.raises(ValidationError) as err:
        esc.escalation_open(actor=office, case=case, kind=K.LEGAL_AID, reason="劳动者需要代理仲裁")
    assert "requested_on" in err.value.message_dict
    e = esc.escalation_open(actor=office, case=case, kind=K.LEGAL_AID, reason="劳动者来电申请", requested_on="2026-11-02")
    assert e.details == {"requested_on": "2026-11-02"}


def test_legal_aid_asked_for_in_the_complaint(world):
    case = dispatch(world, register(world, legal_aid_requested=True).case)
    e = esc.escalation_open(actor=world.users["street_a_handler"], case=case, kind=K.LEGAL_AID, reason="投诉时申请法律援助")
    assert e.status == Escalation.Status.OPEN


def test_property_preservation_starts_and_meets_the_courts_deadline(world, case):
    e = esc.escalation_open(actor=world.users["office_staff"], case=case, kind=K.PROPERTY_PRESERVATION, reason="防止转移财产", court="示范区人民法院")
    deadline = case.deadlines.get(kind=DeadlineKind.PROPERTY_PRESERVATION, status="open")
    assert deadline.time_limit_key == "property_preservation"
    assert "due_at" in events(case, "case.escalation_opened").get().payload_data
    esc.escalation_close(actor=world.users["street_a_handler"], escalation=e, outcome="法院裁定冻结账户")
    deadline.refresh_from_db()
    assert deadline.status == "met"

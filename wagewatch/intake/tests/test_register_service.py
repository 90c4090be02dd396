"""complaint_register: validation, employer matching, duplicates, repeats, merging, splitting,
external ids and the major-case flag."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from wagewatch.cases.models import Case, CaseState
from wagewatch.history.models import Event
from wagewatch.intake.models import Channel, Complaint
from wagewatch.intake.services import WorkerInput, complaint_duplicates, complaint_register, complaint_split
from wagewatch.testing.cases import complaint_input, register


def test_bad_input_reports_every_field_in_chinese_and_writes_nothing(world):
    before = (Case.objects.count(), Complaint.objects.count(), Event.objects.count())
    with pytest.raises(ValidationError) as exc:
        register(world, complainant_name="", complainant_phone="12345", amount_owed="很多", employer_credit_code="91110105MA00000000")
    errors = exc.value.message_dict
    assert set(errors) >= {"complainant_name", "complainant_phone", "amount_owed", "employer_credit_code"}
    assert "手机号" in errors["complainant_phone"][0] and "统一社会信用代码" in errors["employer_credit_code"][0]
    assert (Case.objects.count(), Complaint.objects.count(), Event.objects.count()) == before


def test_personal_numbers_are_encrypted_and_never_in_history(world):
    result = register(world, complainant_phone="13912345678", complainant_id_number="11010519491231002X")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT complainant_phone, complainant_id_number FROM intake_complaint WHERE id = %s", [result.complaint.pk])
        phone_raw, id_raw = cursor.fetchone()
    assert "13912345678" not in phone_raw and "1949" not in id_raw
    payloads = " ".join(Event.objects.values_list("payload", flat=True))
    assert "13912345678" not in payloads and "11010519491231002X" not in payloads


def test_employer_found_by_normalised_name_and_territory_from_it(world):
    factory = world.enterprises["factory_a"]
    result = register(world, employer_name=" 东花服装厂 ", employer_credit_code="")
    assert result.case.employer == factory
    assert result.case.territory == factory.territory


def test_unknown_employer_without_territory_is_refused(world):
    with pytest.raises(ValidationError) as exc:
        register(world, employer_name="某个不存在的老板", employer_credit_code="")
    assert "territory_id" in exc.value.message_dict


def test_same_external_id_returns_first_registration(world):
    kwargs = dict(actor=world.users["clerk"], channel=Channel.HOTLINE_12345, external_id="12345-2026-0001")
    first = complaint_register(data=complaint_input(world), **kwargs)
    again = complaint_register(data=complaint_input(world, complainant_name="李四"), **kwargs)
    assert not again.complaint_created and again.complaint.pk == first.complaint.pk
    assert Complaint.objects.filter(external_id="12345-2026-0001").count() == 1


def test_duplicate_suggestions_name_reasons(world):
    first = register(world, complainant_phone="13900002222")
    candidates = complaint_duplicates(complaint_input(world, complainant_phone="13900003333"))
    assert candidates and candidates[0].case.pk == first.case.pk
    assert candidates[0].same_party and not candidates[0].same_people
    assert any("同一用人单位" in r for r in candidates[0].reasons)
    # A new complaint by another worker of the same employer is a new case unless the clerk merges.
    other = register(world, complainant_phone="13900003333")
    assert other.case_created and other.duplicates[0].case.pk == first.case.pk


def test_overlap_through_listed_workers_makes_a_repeat(world):
    first = register(world, workers=[WorkerInput(name="王五", phone="13900004444")])
    again = register(world, complainant_name="王五", complainant_phone="13900004444")
    assert not again.case_created and again.case.pk == first.case.pk and again.complaint.relation == "repeat"


def test_clerk_merges_a_group_complaint_and_figures_add_up(world):
    first = register(world, amount_owed="600000", worker_count=20)
    merged = complaint_register(
        actor=world.users["clerk"], channel=Channel.WINDOW, data=complaint_input(world, amount_owed="500000", worker_count=12), link_to=first.case
    )
    case = Case.objects.get(pk=first.case.pk)
    assert merged.complaint.relation == "merged" and merged.case.pk == case.pk
    assert case.amount_owed == Decimal("1100000.00") and case.worker_count == 32
    assert case.is_major and "≥" in case.major_reason
    assert Event.objects.filter(object_id=str(case.pk), action="case.complaint_linked").exists()


def test_split_takes_a_complaint_out_into_a_new_case(world):
    first = register(world, amount_owed="1000", worker_count=1)
    merged = complaint_register(
        actor=world.users["clerk"], channel=Channel.WINDOW, data=complaint_input(world, amount_owed="2000", worker_count=2), link_to=first.case
    )
    new_case = complaint_split(actor=world.users["office_staff"], complaint=merged.complaint, reason="不同用人单位,误并案")
    source = Case.objects.get(pk=first.case.pk)
    assert new_case.pk != source.pk and new_case.state == CaseState.REGISTERED
    assert source.amount_owed == Decimal("1000.00") and source.worker_count == 1
    assert Complaint.objects.get(pk=merged.complaint.pk).case_id == new_case.pk
    assert Event.objects.filter(object_id=str(source.pk), action="case.complaint_split").exists()


def test_major_case_by_threshold(world):
    case = register(world, worker_count=30, amount_owed="90000").case
    assert case.is_major and case.listed_supervision and "30人" in case.major_reason


def test_received_time_of_channel_drives_deadlines(world):
    received = timezone.now() - timedelta(days=20)
    result = register(world, channel=Channel.HOTLINE_12345, received_at=received)
    close = result.case.deadlines.get(kind="close")
    assert close.due_at < timezone.now()  # already overdue: the worker's clock started at receipt
    assert result.case.first_contact_at is None  # a hotline complainant is not at the window


def test_future_received_time_refused(world):
    with pytest.raises(ValidationError):
        register(world, received_at=timezone.now() + timedelta(days=1))


def test_reconciliation_complaints_repeat_only_the_same_project(world):
    """The office reports every reconciliation complaint with its own phone: two projects of one
    contractor are two cases; the same project's next complaint joins its open case."""
    contractor = world.enterprises["contractor_a"]
    common = dict(complainant_name="区根治欠薪办", complainant_phone="13800000000", employer_name=contractor.name, employer_credit_code=contractor.credit_code)

    def recon(project_key, external_id):
        return complaint_register(
            actor=None, channel=Channel.RECONCILIATION, external_id=external_id,
            data=complaint_input(world, project_id=world.projects[project_key].pk, **common),
        )

    housing = recon("housing_b", "recon-P-B-001-202609")
    road = recon("road_a", "recon-P-A-002-202609")
    assert housing.case_created and road.case_created and housing.case != road.case
    next_month = recon("housing_b", "recon-P-B-001-202610")
    assert not next_month.case_created and next_month.case == housing.case
    assert next_month.complaint.relation == Complaint.Relation.REPEAT
    # A worker's own complaints keep intake's rule: same employer and the same person is a repeat.
    first = register(world, complainant_phone="13900000009", project_id=world.projects["housing_b"].pk, employer_name=contractor.name, employer_credit_code=contractor.credit_code)
    again = register(world, complainant_phone="13900000009", project_id=world.projects["road_a"].pk, employer_name=contractor.name, employer_credit_code=contractor.credit_code)
    assert again.case == first.case

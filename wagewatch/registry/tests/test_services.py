from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from wagewatch.core.models import Industry
from wagewatch.history.models import Event
from wagewatch.registry import services
from wagewatch.registry.models import Enterprise, Project, ProjectParticipant
from wagewatch.testing.world import valid_credit_code

from .factories import id_number, make_enterprise, make_project, wrong_check_digit


def _events(obj):
    return Event.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))


# ---------------------------------------------------------------- enterprises


def test_enterprise_with_valid_code_is_created_normalised_and_recorded(world):
    e = services.enterprise_create(
        actor=world.users["office_staff"],
        name=" 示范区宏达建筑劳务(集团)有限公司 ",
        territory=world.territories["street_a"],
        credit_code=valid_credit_code(50).lower(),
        legal_representative="王五",
        legal_representative_id_number=id_number(3),
        contact_phone="138 0000 1234",
        industry=Industry.CONSTRUCTION,
        size=Enterprise.Size.SMALL,
        employee_count=30,
    )
    assert e.name == "示范区宏达建筑劳务(集团)有限公司"
    assert e.credit_code == valid_credit_code(50)
    assert e.name_normalised == "示范区宏达建筑劳务"
    assert not e.credit_code_missing
    event = _events(e).get()
    assert event.action == "enterprise.created"
    # Personal data never goes into the history in clear.
    assert "13800001234" not in event.payload and id_number(3) not in event.payload
    e.refresh_from_db()
    assert e.contact_phone == "13800001234"


def test_wrong_check_digit_is_rejected_in_chinese_naming_the_field(world):
    with pytest.raises(ValidationError) as exc:
        services.enterprise_create(
            actor=None, name="甲公司", territory=world.territories["street_a"], credit_code=wrong_check_digit(valid_credit_code(51))
        )
    assert "credit_code" in exc.value.message_dict
    assert "统一社会信用代码" in exc.value.message_dict["credit_code"][0]
    assert not Enterprise.objects.filter(name="甲公司").exists()


def test_enterprise_without_code_is_allowed_but_flagged(world):
    e = services.enterprise_create(actor=None, name="无证小作坊", territory=world.territories["grid_a"], credit_code="  ")
    assert e.credit_code is None and e.credit_code_missing
    # A second one without a code is fine too (NULLs do not clash).
    services.enterprise_create(actor=None, name="另一家小作坊", territory=world.territories["grid_a"])
    assert Enterprise.objects.filter(credit_code_missing=True).count() == 2


def test_duplicate_code_is_rejected_naming_the_existing_enterprise(world):
    with pytest.raises(ValidationError) as exc:
        services.enterprise_create(actor=None, name="冒名公司", territory=world.territories["street_a"], credit_code=valid_credit_code(1))
    assert "东城建工集团有限公司" in exc.value.message_dict["credit_code"][0]


def test_all_problems_are_reported_at_once(world):
    with pytest.raises(ValidationError) as exc:
        services.enterprise_create(
            actor=None,
            name="",
            territory=world.territories["street_a"],
            credit_code="123",
            legal_representative_id_number="110105198001010011",
            contact_phone="12345",
            size="huge",
        )
    assert set(exc.value.message_dict) == {"name", "credit_code", "legal_representative_id_number", "contact_phone", "size"}
    assert "身份证" in exc.value.message_dict["legal_representative_id_number"][0]


def test_update_records_diff_and_no_change_writes_nothing(world):
    e = make_enterprise(world, n=60)
    services.enterprise_update(actor=None, enterprise=e, name=e.name, employee_count=None)
    assert _events(e).count() == 1
    services.enterprise_update(actor=None, enterprise=e, employee_count=12, contact_phone="13900001111")
    event = _events(e).last()
    assert event.action == "enterprise.updated"
    assert '"employee_count":[null,12]' in event.payload
    assert "13900001111" not in event.payload
    e.refresh_from_db()
    assert e.employee_count == 12


def test_update_fills_missing_code_and_clears_flag(world):
    e = services.enterprise_create(actor=None, name="补码企业", territory=world.territories["street_a"])
    services.enterprise_update(actor=None, enterprise=e, credit_code=valid_credit_code(61))
    e.refresh_from_db()
    assert e.credit_code == valid_credit_code(61) and not e.credit_code_missing


def test_failed_update_leaves_object_and_database_unchanged(world):
    e = world.enterprises["factory_a"]
    with pytest.raises(ValidationError):
        services.enterprise_update(actor=None, enterprise=e, name="新名字", credit_code=valid_credit_code(1))
    assert e.name == "东花服装厂"
    e.refresh_from_db()
    assert e.name == "东花服装厂"


# ---------------------------------------------------------------- projects


def test_project_supervision_is_derived_on_create_and_update(world):
    big = make_project(world, code="T-BIG", value=Decimal("4000000"), start=date(2026, 1, 1), end=date(2026, 7, 1))
    assert big.under_full_supervision
    small = make_project(world, code="T-SMALL", value=Decimal("3999999"))
    assert not small.under_full_supervision
    services.project_update(actor=None, project=small, contract_value=Decimal("4500000"))
    small.refresh_from_db()
    assert small.under_full_supervision
    assert '"under_full_supervision":[false,true]' in _events(small).last().payload


@pytest.mark.parametrize(
    "changes,field,text",
    [
        ({"planned_start": date(2026, 5, 1), "planned_end": date(2026, 4, 1)}, "planned_end", "不能早于计划开工日期"),
        ({"contract_value": Decimal("-1")}, "contract_value", "不能为负数"),
        ({"code": "P-B-001"}, "code", "西城花园二期"),
    ],
)
def test_project_validation_messages(world, changes, field, text):
    kwargs = {"code": "T-V", "start": None, "end": None} | {k: v for k, v in changes.items() if k == "code"}
    with pytest.raises(ValidationError) as exc:
        make_project(
            world,
            code=kwargs["code"],
            value=changes.get("contract_value", Decimal("1")),
            start=changes.get("planned_start"),
            end=changes.get("planned_end"),
        )
    assert text in exc.value.message_dict[field][0]
    assert not Project.objects.filter(name__startswith="测试项目").exists()


def test_participant_chain(world):
    project = world.projects["housing_b"]
    sub = services.project_participant_add(
        actor=None, project=project, enterprise=world.enterprises["factory_b"], role=ProjectParticipant.Role.LABOUR_SUBCONTRACTOR
    )
    team_owner = make_enterprise(world, n=70, territory="street_b")
    team = services.project_participant_add(
        actor=None, project=project, enterprise=team_owner, role=ProjectParticipant.Role.TEAM, parent=sub, contract_value="120000"
    )
    assert team.parent == sub and team.contract_value == Decimal("120000")
    with pytest.raises(ValidationError, match="已以该角色参与本项目"):
        services.project_participant_add(
            actor=None, project=project, enterprise=world.enterprises["factory_b"], role=ProjectParticipant.Role.LABOUR_SUBCONTRACTOR
        )
    with pytest.raises(ValidationError) as exc:
        services.project_participant_add(
            actor=None, project=world.projects["road_a"], enterprise=team_owner, role=ProjectParticipant.Role.TEAM, parent=sub
        )
    assert "parent" in exc.value.message_dict
    assert _events(project).filter(action="project.participant_added").count() == 2


def test_threshold_change_recomputes_every_project_and_records_counts(world):
    a = make_project(world, code="T-A", value=Decimal("5000000"))  # 12 months
    b = make_project(world, code="T-B", value=Decimal("3000000"))
    assert a.under_full_supervision and not b.under_full_supervision
    admin = world.users["office_leader"]
    threshold = services.supervision_threshold_update(actor=admin, min_contract_value="2000000", min_duration_months=12)
    a.refresh_from_db(), b.refresh_from_db()
    # a and b last Jan 1 → Dec 31: one day short of 12 months.
    assert not a.under_full_supervision and not b.under_full_supervision
    services.supervision_threshold_update(actor=admin, min_contract_value="2000000", min_duration_months=6)
    a.refresh_from_db(), b.refresh_from_db()
    assert a.under_full_supervision and b.under_full_supervision
    event = Event.objects.filter(action="supervision_threshold.updated").order_by("seq").last()
    assert '"projects_now_supervised":2' in event.payload
    assert '"old":{"min_contract_value":"2000000.00","min_duration_months":12}' in event.payload
    assert event.object_id == str(threshold.pk)


def test_threshold_rejects_bad_values(world):
    with pytest.raises(ValidationError) as exc:
        services.supervision_threshold_update(actor=None, min_contract_value="-5", min_duration_months="x")
    assert set(exc.value.message_dict) == {"min_contract_value", "min_duration_months"}


def test_same_name_without_a_code_in_the_same_territory_is_refused(world):
    actor = world.users["office_staff"]
    first = services.enterprise_create(actor=actor, name="老王包工队", territory=world.territories["grid_a"])
    with pytest.raises(ValidationError) as exc:
        services.enterprise_create(actor=actor, name="老王 包工队", territory=world.territories["grid_a"])
    assert "同名企业“老王包工队”" in exc.value.message_dict["name"][0]
    # Another territory, or a credit code, tells them apart.
    services.enterprise_create(actor=actor, name="老王包工队", territory=world.territories["grid_b"])
    services.enterprise_create(actor=actor, name="老王包工队", territory=world.territories["grid_a"], credit_code=valid_credit_code(77))
    assert Enterprise.objects.filter(name="老王包工队").count() == 3
    services.enterprise_update(actor=actor, enterprise=first, address="东花路1号")  # itself is no twin

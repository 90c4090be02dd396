from datetime import date
from decimal import Decimal

from wagewatch.history.models import Event
from wagewatch.registry.importers import enterprises_import, projects_import, template_workbook
from wagewatch.registry.models import Enterprise, Project
from wagewatch.testing.world import valid_credit_code

from .factories import csv_bytes, id_number, wrong_check_digit, xlsx_bytes

HEADER = ["企业名称", "统一社会信用代码", "法定代表人", "法定代表人身份证号", "联系电话", "地址", "所属辖区", "行业", "规模", "职工人数"]


def rows():
    return [
        HEADER,
        ["宏达建筑劳务有限公司", valid_credit_code(201), "李四", id_number(4), "13800002222", "东花路1号", "110105001", "房屋建筑", "小型", 35],
        ["西花食堂", "", "", "", "", "", "西城街道", "餐饮", "微型", ""],
        ["东城物流有限公司", valid_credit_code(202), "", "", "", "", "东花社区", "物流", "中型", "120"],
    ]


def _registry_events():
    return Event.objects.filter(object_type__startswith="registry.").exclude(object_type="registry.import")


def test_xlsx_import_creates_then_reimport_changes_nothing(world):
    actor = world.users["office_staff"]
    data = xlsx_bytes(rows())
    report = enterprises_import(actor=actor, data=data, filename="企业.xlsx")
    assert report.ok, report.to_dict()
    assert (report.created, report.updated, report.unchanged) == (3, 0, 0)
    hongda = Enterprise.objects.get(credit_code=valid_credit_code(201))
    assert hongda.territory == world.territories["street_a"] and hongda.size == "small" and hongda.employee_count == 35
    assert hongda.contact_phone == "13800002222"
    canteen = Enterprise.objects.get(name="西花食堂")
    assert canteen.credit_code_missing and canteen.territory == world.territories["street_b"]
    run = Event.objects.get(action="enterprise.imported")
    assert report.sha256 in run.payload and '"created":3' in run.payload

    events_before = _registry_events().count()
    again = enterprises_import(actor=actor, data=data, filename="企业.xlsx")
    assert again.ok and (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert _registry_events().count() == events_before  # no event on any enterprise
    assert Enterprise.objects.count() == 4 + 3


def test_csv_gbk_import_and_changed_row_updates(world):
    actor = world.users["office_staff"]
    enterprises_import(actor=actor, data=csv_bytes(rows(), "gbk"), filename="企业.csv")
    assert Enterprise.objects.filter(name="西花食堂").exists()
    changed = rows()
    changed[2][9] = "8"  # canteen: no code, matched by normalised name + territory
    changed[3][0] = "东城物流(集团)有限公司"  # renamed, matched by code
    report = enterprises_import(actor=actor, data=csv_bytes(changed, "gbk"), filename="企业.csv")
    assert report.ok and (report.created, report.updated, report.unchanged) == (0, 2, 1)
    assert Enterprise.objects.get(name="西花食堂").employee_count == 8
    logistics = Enterprise.objects.get(credit_code=valid_credit_code(202))
    assert logistics.name == "东城物流(集团)有限公司"
    assert Event.objects.filter(action="enterprise.updated", object_id=str(logistics.pk)).count() == 1


def test_csv_utf8_with_bom(world):
    data = "\ufeff".encode() + csv_bytes(rows())
    report = enterprises_import(actor=world.users["office_staff"], data=data, filename="qiye.csv")
    assert report.ok and report.created == 3


def test_three_bad_rows_are_all_reported_and_nothing_is_saved(world):
    bad = rows()
    bad[1][1] = wrong_check_digit(valid_credit_code(201))  # row 2
    bad[2][6] = "不存在的街道"  # row 3
    bad[3][8] = "巨型"  # row 4
    bad[3][9] = "很多"
    bad.append(["正常企业有限公司", valid_credit_code(203), "", "", "", "", "110105001", "", "", ""])  # row 5 is fine
    count = Enterprise.objects.count()
    report = enterprises_import(actor=world.users["office_staff"], data=xlsx_bytes(bad), filename="bad.xlsx")
    assert not report.ok
    assert [p.row for p in report.rejected] == [2, 3, 4]
    assert "校验位" in report.rejected[0].reasons[0]
    assert "不存在的街道" in report.rejected[1].reasons[0]
    assert len(report.rejected[2].reasons) == 2
    assert Enterprise.objects.count() == count  # not even the good row
    assert not Event.objects.filter(action__in=["enterprise.created", "enterprise.imported"]).exists()
    assert Event.objects.filter(action="enterprise.import_rejected").count() == 1


def test_duplicates_within_file_and_missing_columns(world):
    dup = rows() + [["另一个名字", valid_credit_code(201), "", "", "", "", "110105001", "", "", ""]]
    report = enterprises_import(actor=world.users["office_staff"], data=xlsx_bytes(dup), filename="dup.xlsx")
    assert [p.row for p in report.rejected] == [5] and "第2行" in report.rejected[0].reasons[0]
    report = enterprises_import(actor=world.users["office_staff"], data=csv_bytes([["名称", "代码"], ["a", "b"]]), filename="x.csv")
    assert not report.ok and any("企业名称" in e for e in report.file_errors)


def test_territory_outside_scope_is_rejected(world):
    data = xlsx_bytes([HEADER, ["东城小店", "", "", "", "", "", "110105001", "", "", ""]])
    report = enterprises_import(actor=world.users["street_b_handler"], data=data, filename="x.xlsx")
    assert "不在您的管辖范围内" in report.rejected[0].reasons[0]


PROJECT_HEADER = ["项目名称", "项目编号", "所属辖区", "建设单位", "施工总承包单位", "投资类型", "合同价款(元)", "计划开工日期", "计划竣工日期", "行业主管部门", "状态"]


def test_project_import_resolves_references_and_is_idempotent(world):
    actor = world.users["office_staff"]
    data = xlsx_bytes(
        [
            PROJECT_HEADER,
            ["西城花园三期", "P-B-003", "110105002001", "西城置业", valid_credit_code(1), "社会投资", 6000000, date(2026, 3, 1), "2027/3/1", "示范区住房和城乡建设局", "在建"],
            ["东花社区改造", "P-A-004", "东花社区", "", "", "政府投资", "1,200,000", "2026-03-01", "2026年5月1日", "", ""],
            ["西城花园二期", "P-B-001", "110105002001", "西城置业有限公司", "东城建工集团有限公司", "", "52000000", "", "", "示范区住房和城乡建设局", ""],
        ]
    )
    report = projects_import(actor=actor, data=data, filename="项目.xlsx")
    assert report.ok, report.to_dict()
    assert (report.created, report.updated, report.unchanged) == (2, 0, 1)
    p3 = Project.objects.get(code="P-B-003")
    assert p3.owner == world.enterprises["owner_b"] and p3.general_contractor == world.enterprises["contractor_a"]
    assert p3.industry_authority == world.organisations["housing"] and p3.under_full_supervision
    assert p3.planned_end == date(2027, 3, 1)
    p4 = Project.objects.get(code="P-A-004")
    assert p4.contract_value == Decimal("1200000") and not p4.under_full_supervision
    again = projects_import(actor=actor, data=data, filename="项目.xlsx")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)


def test_project_import_reports_unknown_references(world):
    data = csv_bytes(
        [
            PROJECT_HEADER,
            ["甲", "X-1", "110105001", "没有这家公司", "", "", "100", "2026-05-01", "2026-04-01", "不存在的局", "开工"],
            ["乙", "X-1", "110105001", "", "", "", "-5", "", "", "", ""],
        ],
        "gbk",
    )
    report = projects_import(actor=world.users["office_staff"], data=data, filename="p.csv")
    assert [p.row for p in report.rejected] == [2, 3]
    first = " ".join(report.rejected[0].reasons)
    assert "没有这家公司" in first and "不存在的局" in first and "状态" in first
    second = " ".join(report.rejected[1].reasons)
    assert "第2行重复" in second
    assert not Project.objects.filter(code="X-1").exists()


def test_template_has_headers_and_is_importable_shape(world):
    from io import BytesIO

    from openpyxl import load_workbook

    workbook = load_workbook(BytesIO(template_workbook("enterprises")))
    headers = [c.value for c in workbook.worksheets[0][1]]
    assert headers[:2] == ["企业名称", "统一社会信用代码"]
    assert "填写说明" in workbook.sheetnames
    report = enterprises_import(actor=world.users["office_staff"], data=template_workbook("enterprises"), filename="t.xlsx")
    assert report.ok and report.created == 1  # the example row is valid

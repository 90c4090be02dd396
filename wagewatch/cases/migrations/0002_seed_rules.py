"""Shipped defaults: routing rules ("谁主管谁负责"), the major-case threshold and the national
clue platform's verification outcomes with their standard replies. All are editable data."""

from django.db import migrations

RULES = [
    # (priority, name, industries, investment types, lead kind, assist territorial, description)
    (10, "政府投资及国有资金项目由国有建设单位牵头", [], ["government", "state_owned"], "state_owned_owner", True,
     "谁出资谁负责:政府投资和国有资金投资项目由项目业主(国有建设单位)牵头,属地街道协助"),
    (20, "房屋建筑、房地产、市政工程由住建部门牵头", ["construction", "real_estate", "municipal"], [], "industry_bureau", True,
     "住房城乡建设领域由住建部门牵头,属地街道协助"),
    (30, "交通运输工程由交通运输部门牵头", ["transport"], [], "industry_bureau", False, "交通运输领域由交通运输部门牵头"),
    (40, "水利工程由水利部门牵头", ["water"], [], "industry_bureau", False, "水利领域由水利部门牵头"),
    (100, "其他由属地街道(乡镇)牵头", [], [], "territorial", False, "其他行业欠薪由属地街道(乡镇)负责"),
]

OUTCOMES = [
    ("resolved", "属实,已解决", "经核查,您反映的欠薪问题属实,现已督促用人单位足额支付工资,问题已解决。如有疑问请拨打12345。", 10),
    ("in_progress", "属实,正在处理", "经核查,您反映的欠薪问题属实,我们已责成责任单位限期解决,处理结果将及时告知您。", 20),
    ("partly_true", "部分属实", "经核查,您反映的问题部分属实,属实部分已督促用人单位支付,其余情况已向您说明。", 30),
    ("not_true", "不属实", "经核查,未发现您反映的欠薪情况。如您有新的证据,可携带材料到专窗或通过扫码投诉补充。", 40),
    ("not_arrears", "不属于欠薪问题,已引导其他途径", "经核查,您反映的问题不属于拖欠工资问题,已告知您通过相应途径解决。", 50),
    ("no_contact", "无法联系投诉人", "因多次无法与您取得联系,暂无法核实。请您尽快与受理部门联系。", 60),
    ("legal_procedure", "已进入仲裁或诉讼程序", "经核查,该争议已进入劳动仲裁或诉讼程序,我们将依法跟踪并为您提供必要帮助。", 70),
    ("duplicate", "重复线索,已并案办理", "您反映的问题与已受理的案件相同,已并案办理,结果将一并答复您。", 80),
]


def seed(apps, schema_editor):
    RoutingRule = apps.get_model("cases", "RoutingRule")
    MajorCaseThreshold = apps.get_model("cases", "MajorCaseThreshold")
    ClueOutcome = apps.get_model("cases", "ClueOutcome")
    for priority, name, industries, investment, lead_kind, assist, description in RULES:
        RoutingRule.objects.get_or_create(
            name=name,
            defaults=dict(
                priority=priority, industries=industries, investment_types=investment, lead_kind=lead_kind,
                assist_territorial=assist, description=description,
            ),
        )
    if not MajorCaseThreshold.objects.exists():
        MajorCaseThreshold.objects.create()
    for code, name, reply, order in OUTCOMES:
        ClueOutcome.objects.get_or_create(code=code, defaults=dict(name=name, reply_text=reply, sort_order=order))


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

"""The bodies that use the platform. The general contractor's organisation is made in
contractor.py, once its enterprise exists."""

from wagewatch.core.models import Industry, Organisation
from wagewatch.core.services import organisation_create

K = Organisation.Kind

# key, name, short name, kind, industry, leader
DISTRICT_BODIES = [
    ("office", "示范区根治拖欠农民工工资工作领导小组办公室", "区根治欠薪办", K.WAGE_ARREARS_OFFICE, "", "周建华"),
    ("inspection", "示范区劳动保障监察大队", "区劳动监察大队", K.LABOUR_INSPECTION, "", "吴国强"),
    ("mediation", "示范区矛盾纠纷多元化解中心", "区调解中心(欠薪专窗)", K.MEDIATION_CENTRE, "", "郑丽娟"),
    ("housing", "示范区住房和城乡建设局", "区住建局", K.INDUSTRY_BUREAU, Industry.CONSTRUCTION, "王振华"),
    ("transport", "示范区交通运输局", "区交通运输局", K.INDUSTRY_BUREAU, Industry.TRANSPORT, "陈立新"),
    ("water", "示范区水利局", "区水利局", K.INDUSTRY_BUREAU, Industry.WATER, "刘长江"),
    ("soe_owner", "示范区城市建设投资集团有限公司", "区城投集团", K.STATE_OWNED_OWNER, "", "孙宏伟"),
    ("police", "示范区公安分局", "区公安分局", K.POLICE, "", "马卫东"),
    ("court", "示范区人民法院", "区法院", K.COURT, "", "黄文华"),
    ("data_feed", "示范区政务数据共享交换平台(税务、社保、水电数据)", "数据共享平台", K.DATA_PROVIDER, "", ""),
]
STREET_LEADERS = ["林海涛", "何秀英", "罗志明", "谢德胜"]


def load(ctx) -> None:
    district = ctx.territories["district"]
    for index, (key, name, short, kind, industry, leader) in enumerate(DISTRICT_BODIES):
        ctx.organisations[key] = organisation_create(
            actor=ctx.actor, name=name, short_name=short, kind=kind, territory=district, industry=industry,
            leader_name=leader, phone=f"010-8{index:02d}5{index:04d}",
        )
    for index, street in enumerate(ctx.streets):
        ctx.organisations[f"street{index + 1}"] = organisation_create(
            actor=ctx.actor, name=f"示范区{street.name}办事处", short_name=street.name, kind=K.STREET_GOVERNMENT,
            territory=street, leader_name=STREET_LEADERS[index], phone=f"010-86{index + 1}0{index + 1}000",
        )
    ctx.count("单位", len(DISTRICT_BODIES) + len(ctx.streets))

"""40 construction projects: housing and commercial, government-invested, transport, water, PPP,
and small ones under the full-supervision threshold; each with its subcontracting chain."""

from datetime import date
from decimal import Decimal

from wagewatch.core.models import Industry
from wagewatch.registry.models import Project, ProjectParticipant
from wagewatch.registry.services import project_create, project_participant_add

Inv = Project.InvestmentType
W = 10_000  # 万元

# name, community, category, investment type, value range (万元), months range
PROJECTS = [
    ("东湖花园三期住宅项目", "东湖社区", "housing", Inv.SOCIAL, (18000, 45000), (24, 36)),
    ("湖滨壹号商住楼项目", "湖滨社区", "housing", Inv.SOCIAL, (9000, 20000), (18, 30)),
    ("望湖雅苑住宅小区(二期)", "望湖社区", "housing", Inv.SOCIAL, (12000, 30000), (20, 30)),
    ("西山府邸住宅项目", "西山社区", "housing", Inv.SOCIAL, (15000, 38000), (24, 36)),
    ("枫林国际商业综合体", "枫林社区", "housing", Inv.SOCIAL, (30000, 60000), (30, 40)),
    ("金山广场写字楼项目", "金山社区", "housing", Inv.SOCIAL, (20000, 42000), (24, 34)),
    ("南苑新城A地块住宅项目", "南苑社区", "housing", Inv.SOCIAL, (16000, 36000), (24, 36)),
    ("花园里商住综合体项目", "花园社区", "housing", Inv.SOCIAL, (11000, 26000), (20, 30)),
    ("北塘湾住宅项目一期", "北塘社区", "housing", Inv.SOCIAL, (14000, 30000), (22, 32)),
    ("新村雅居住宅项目", "新村社区", "housing", Inv.SOCIAL, (8000, 16000), (16, 26)),
    ("工业园科创中心项目", "工业园社区", "housing", Inv.SOCIAL, (10000, 22000), (18, 28)),
    ("和平里商业街改造项目", "和平里社区", "housing", Inv.SOCIAL, (3000, 7000), (10, 16)),
    ("滨河壹号院住宅项目", "湖滨社区", "housing", Inv.SOCIAL, (13000, 28000), (22, 32)),
    ("东湖科技大厦", "东湖社区", "housing", Inv.SOCIAL, (9000, 18000), (18, 28)),
    ("西山悦府二期", "西山社区", "housing", Inv.SOCIAL, (12000, 24000), (20, 30)),
    ("南苑购物中心", "南苑社区", "housing", Inv.SOCIAL, (20000, 40000), (24, 34)),
    ("示范区第二实验小学新建工程", "花园社区", "public", Inv.GOVERNMENT, (6000, 12000), (14, 20)),
    ("示范区中医医院门诊楼扩建工程", "望湖社区", "public", Inv.GOVERNMENT, (8000, 15000), (16, 24)),
    ("北塘安置房项目(一期)", "北塘社区", "public", Inv.STATE_OWNED, (25000, 50000), (24, 36)),
    ("南苑保障性住房项目", "和平里社区", "public", Inv.STATE_OWNED, (18000, 35000), (24, 32)),
    ("示范区体育中心改造工程", "金山社区", "public", Inv.GOVERNMENT, (4000, 9000), (10, 16)),
    ("示范区职业技术学校实训楼工程", "工业园社区", "public", Inv.GOVERNMENT, (5000, 9000), (12, 18)),
    ("示范区地下综合管廊一期工程", "新村社区", "municipal", Inv.GOVERNMENT, (30000, 60000), (24, 36)),
    ("建设路(人民路—解放路)道路改造工程", "东湖社区", "road", Inv.GOVERNMENT, (6000, 15000), (10, 18)),
    ("滨河路跨河大桥新建工程", "湖滨社区", "road", Inv.GOVERNMENT, (20000, 45000), (20, 30)),
    ("朝阳路快速化改造工程", "枫林社区", "road", Inv.GOVERNMENT, (30000, 55000), (18, 30)),
    ("示范区公交场站建设工程", "北塘社区", "road", Inv.STATE_OWNED, (3000, 6000), (10, 14)),
    ("工业园区道路提级改造工程", "工业园社区", "road", Inv.GOVERNMENT, (5000, 10000), (8, 14)),
    ("东湖水系综合治理工程", "东湖社区", "water", Inv.GOVERNMENT, (12000, 26000), (18, 30)),
    ("西山水库除险加固工程", "西山社区", "water", Inv.GOVERNMENT, (5000, 12000), (12, 20)),
    ("南苑排水管网改造工程", "南苑社区", "water", Inv.GOVERNMENT, (3000, 8000), (8, 14)),
    ("北塘河堤防加固工程", "北塘社区", "water", Inv.GOVERNMENT, (4000, 9000), (10, 16)),
    ("示范区污水处理厂提标改造PPP项目", "新村社区", "ppp_water", Inv.PPP, (35000, 70000), (24, 36)),
    ("示范区智慧停车场PPP项目", "花园社区", "ppp", Inv.PPP, (15000, 30000), (18, 24)),
    # Under the threshold (less than 400万元 or shorter than 6 months): not under full supervision.
    ("湖滨社区菜市场装修工程", "湖滨社区", "small", Inv.SOCIAL, (80, 150), (2, 4)),
    ("金山广场外立面改造工程", "金山社区", "small", Inv.SOCIAL, (200, 380), (4, 7)),
    ("和平里小学操场翻新工程", "和平里社区", "small_public", Inv.GOVERNMENT, (60, 120), (2, 3)),
    ("新村幼儿园装修工程", "新村社区", "small_public", Inv.GOVERNMENT, (100, 180), (3, 5)),
    ("工业园厂房加固工程", "工业园社区", "small", Inv.SOCIAL, (220, 350), (6, 9)),
    ("示范区老旧小区综合整治工程(东湖片区)", "望湖社区", "small_public", Inv.GOVERNMENT, (500, 900), (3, 5)),
]

# category: (industry, authority key, owner is the state-owned owner, general contractor kinds)
CATEGORIES = {
    "housing": (Industry.CONSTRUCTION, "housing", False, ("general_contractor",)),
    "public": (Industry.CONSTRUCTION, "housing", True, ("general_contractor",)),
    "municipal": (Industry.MUNICIPAL, "housing", True, ("municipal", "general_contractor")),
    "road": (Industry.TRANSPORT, "transport", True, ("road",)),
    "water": (Industry.WATER, "water", True, ("water",)),
    "ppp_water": (Industry.WATER, "water", True, ("water", "general_contractor")),
    "ppp": (Industry.MUNICIPAL, "housing", True, ("general_contractor", "municipal")),
    "small": (Industry.CONSTRUCTION, "housing", False, ("professional",)),
    "small_public": (Industry.CONSTRUCTION, "housing", True, ("professional", "municipal")),
}
CONTRACTOR_PROJECTS = 6  # projects built by the contractor that has a labour manager on the platform


def _add_months(start: date, months: int) -> date:
    month_index = start.month - 1 + months
    return date(start.year + month_index // 12, month_index % 12 + 1, min(start.day, 28))


def _status(start: date, end: date, rng) -> str:
    # Fixed reference date, so the demo does not depend on the day it is loaded.
    reference = date(2026, 3, 1)
    if end < reference:
        return Project.Status.COMPLETED
    if start > reference:
        return Project.Status.PLANNED
    return Project.Status.SUSPENDED if rng.random() < 0.08 else Project.Status.UNDER_CONSTRUCTION


def _pick(ctx, kinds, exclude=()):
    pool = [e for kind in kinds for e in ctx.enterprises_by_kind.get(kind, []) if e not in exclude]
    return ctx.rng.choice(pool)


def _chain(ctx, project, value: Decimal, small: bool) -> None:
    """Supervisor, professional subcontractors with labour subcontractors under them, and teams."""
    rng = ctx.rng
    used = {project.owner, project.general_contractor}

    def add(enterprise, role, parent=None, share=None):
        used.add(enterprise)
        ctx.count("参建单位")
        return project_participant_add(
            actor=ctx.actor, project=project, enterprise=enterprise, role=role, parent=parent,
            contract_value=(value * Decimal(share)).quantize(Decimal("1")) if share else None,
        )

    R = ProjectParticipant.Role
    if small:
        if rng.random() < 0.6:
            add(_pick(ctx, ("team",), used), R.TEAM, share=rng.uniform(0.2, 0.4))
        return
    add(_pick(ctx, ("supervisor",), used), R.SUPERVISOR, share=0.015)
    for _ in range(rng.randint(1, 3)):
        professional = add(_pick(ctx, ("professional",), used), R.PROFESSIONAL_SUBCONTRACTOR, share=rng.uniform(0.05, 0.18))
        for _ in range(rng.randint(0, 2)):
            add(_pick(ctx, ("labour",), used), R.LABOUR_SUBCONTRACTOR, parent=professional, share=rng.uniform(0.01, 0.04))
    labour = add(_pick(ctx, ("labour",), used), R.LABOUR_SUBCONTRACTOR, share=rng.uniform(0.08, 0.15))
    if rng.random() < 0.3 and any(e not in used for e in ctx.enterprises_by_kind.get("team", [])):
        add(_pick(ctx, ("team",), used), R.TEAM, parent=labour, share=rng.uniform(0.005, 0.02))


def load(ctx) -> None:
    rng = ctx.rng
    communities = {c.name: c for c in ctx.communities}
    for index, (name, community, category, investment, (low, high), (m_low, m_high)) in enumerate(PROJECTS):
        industry, authority, state_owner, contractor_kinds = CATEGORIES[category]
        value = Decimal(rng.randrange(low, high + 1) * W)
        start = date(2024, 3, 1) + (date(2026, 6, 1) - date(2024, 3, 1)) * rng.random()
        start = start.replace(day=1)
        end = _add_months(start, rng.randint(m_low, m_high))
        if index < CONTRACTOR_PROJECTS:
            contractor = ctx.contractor_enterprise
        else:
            contractor = _pick(ctx, contractor_kinds, exclude={ctx.contractor_enterprise})
        owner = None if state_owner else _pick(ctx, ("developer",))
        site = communities[community]
        project = project_create(
            actor=ctx.actor,
            name=name,
            code=f"110105-{start.year}-{index + 1:03d}",
            territory=site,
            owner=owner,
            owner_organisation=ctx.organisations["soe_owner"] if state_owner else None,
            general_contractor=contractor,
            investment_type=investment,
            contract_value=value,
            planned_start=start,
            planned_end=end,
            industry=industry,
            industry_authority=ctx.organisations[authority],
            site_address=ctx.address(site.parent),
            status=_status(start, end, rng),
        )
        ctx.projects.append(project)
        ctx.count("建设项目")
        if project.under_full_supervision:
            ctx.count("建设项目(全面监管)")
        _chain(ctx, project, value, small=category.startswith("small"))

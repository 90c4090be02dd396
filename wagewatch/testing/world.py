"""A small, fixed world for tests: one district, two streets, a community and a grid each,
organisations of every kind and a user of every role (healthchecks' alice/bob/charlie habit).

    world = build_world()
    world.users["street_a_handler"]  # a unit handler of street A
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from wagewatch.core.models import Industry, Organisation, Role, Territory, User
from wagewatch.registry.models import Enterprise, Project
from wagewatch.registry.rules import normalise_name

PASSWORD = "Wage-Watch-2026!"



def valid_credit_code(n: int) -> str:
    """The n-th valid unified social credit code (deterministic)."""
    from stdnum.cn import uscc

    base = f"911101057{n:08d}"  # 17 characters: reg. authority 9, type 1, region 110105, org code
    return base + uscc.calc_check_digit(base)


@dataclass
class World:
    territories: dict[str, Territory] = field(default_factory=dict)
    organisations: dict[str, Organisation] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    enterprises: dict[str, Enterprise] = field(default_factory=dict)
    projects: dict[str, Project] = field(default_factory=dict)


def build_world() -> World:
    w = World()
    t = w.territories

    def territory(key, code, name, level, parent=None):
        t[key] = Territory.objects.create(code=code, name=name, level=level, parent=parent)
        return t[key]

    territory("district", "110105", "示范区", Territory.Level.DISTRICT)
    territory("street_a", "110105001", "东城街道", Territory.Level.STREET, t["district"])
    territory("street_b", "110105002", "西城街道", Territory.Level.STREET, t["district"])
    territory("community_a", "110105001001", "东花社区", Territory.Level.COMMUNITY, t["street_a"])
    territory("community_b", "110105002001", "西花社区", Territory.Level.COMMUNITY, t["street_b"])
    territory("grid_a", "110105001001G01", "东花第一网格", Territory.Level.GRID, t["community_a"])
    territory("grid_b", "110105002001G01", "西花第一网格", Territory.Level.GRID, t["community_b"])

    e = w.enterprises

    def enterprise(key, n, name, where, industry=Industry.CONSTRUCTION):
        e[key] = Enterprise.objects.create(
            name=name, name_normalised=normalise_name(name), credit_code=valid_credit_code(n), territory=t[where], industry=industry
        )
        return e[key]

    enterprise("contractor_a", 1, "东城建工集团有限公司", "community_a")
    enterprise("factory_a", 2, "东花服装厂", "grid_a", Industry.MANUFACTURING)
    enterprise("factory_b", 3, "西花电子有限公司", "grid_b", Industry.MANUFACTURING)
    enterprise("owner_b", 4, "西城置业有限公司", "street_b", Industry.REAL_ESTATE)

    o = w.organisations

    def org(key, name, kind, where, **extra):
        o[key] = Organisation.objects.create(name=name, kind=kind, territory=t[where], **extra)
        return o[key]

    K = Organisation.Kind
    org("office", "示范区根治欠薪工作领导小组办公室", K.WAGE_ARREARS_OFFICE, "district")
    org("inspection", "示范区劳动保障监察大队", K.LABOUR_INSPECTION, "district")
    org("mediation", "示范区矛盾纠纷调解中心", K.MEDIATION_CENTRE, "district")
    org("street_a", "东城街道办事处", K.STREET_GOVERNMENT, "street_a")
    org("street_b", "西城街道办事处", K.STREET_GOVERNMENT, "street_b")
    org("housing", "示范区住房和城乡建设局", K.INDUSTRY_BUREAU, "district", industry=Industry.CONSTRUCTION)
    org("transport", "示范区交通运输局", K.INDUSTRY_BUREAU, "district", industry=Industry.TRANSPORT)
    org("soe_owner", "示范区城市建设投资集团", K.STATE_OWNED_OWNER, "district")
    org("police", "示范区公安分局", K.POLICE, "district")
    org("contractor_a", "东城建工集团有限公司", K.GENERAL_CONTRACTOR, "street_a", enterprise=e["contractor_a"])
    org("tax_feed", "示范区税务局(数据接口)", K.DATA_PROVIDER, "district")

    p = w.projects
    # Project in street B, supervised by housing, built by contractor A.
    p["housing_b"] = Project.objects.create(
        name="西城花园二期", code="P-B-001", owner=e["owner_b"], general_contractor=e["contractor_a"],
        contract_value=Decimal("52000000"), territory=t["community_b"], industry_authority=o["housing"],
        planned_start=date(2025, 3, 1), planned_end=date(2027, 6, 30),
        under_full_supervision=True,
    )
    # Government road project in street A, owned by the SOE owner, supervised by transport.
    p["road_a"] = Project.objects.create(
        name="东城大道改造", code="P-A-002", owner_organisation=o["soe_owner"],
        investment_type=Project.InvestmentType.GOVERNMENT, industry=Industry.TRANSPORT,
        contract_value=Decimal("8000000"), territory=t["street_a"], industry_authority=o["transport"],
        planned_start=date(2026, 4, 1), planned_end=date(2027, 5, 31),
        under_full_supervision=True,
    )

    u = w.users

    def user(key, role, org_key, territory_key=None):
        u[key] = User.objects.create_user(
            username=key, password=PASSWORD, role=role, organisation=o[org_key] if org_key else None,
            territory=t[territory_key] if territory_key else None, full_name=key,
        )
        return u[key]

    user("clerk", Role.WINDOW_CLERK, "mediation", "district")
    user("office_staff", Role.OFFICE_STAFF, "office")
    user("office_leader", Role.OFFICE_LEADER, "office")
    user("inspector", Role.LABOUR_INSPECTOR, "inspection")
    user("street_a_handler", Role.UNIT_HANDLER, "street_a")
    user("street_a_leader", Role.UNIT_LEADER, "street_a")
    user("street_b_handler", Role.UNIT_HANDLER, "street_b")
    user("housing_handler", Role.UNIT_HANDLER, "housing")
    user("transport_handler", Role.UNIT_HANDLER, "transport")
    user("soe_handler", Role.UNIT_HANDLER, "soe_owner")
    user("police_officer", Role.UNIT_HANDLER, "police")
    user("grid_a_worker", Role.GRID_WORKER, "street_a", "grid_a")
    user("labour_manager", Role.PROJECT_LABOUR_MANAGER, "contractor_a")
    user("tax_feed", Role.DATA_PROVIDER, "tax_feed")
    user("admin", Role.ADMINISTRATOR, "office")
    u["admin"].is_staff = u["admin"].is_superuser = True
    u["admin"].save()
    return w

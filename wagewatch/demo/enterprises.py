"""300 enterprises across industries, registered by the wage-arrears office. A few small
individual businesses and labour teams have no credit code on file, to show the flag."""

from wagewatch.core.models import Industry
from wagewatch.registry.models import Enterprise
from wagewatch.registry.services import enterprise_create

from . import names

S = Enterprise.Size
# kind: (size, employee range)
SIZES = {
    "general_contractor": (S.LARGE, 300, 2500), "developer": (S.MEDIUM, 40, 300), "professional": (S.MEDIUM, 60, 400),
    "labour": (S.SMALL, 20, 260), "supervisor": (S.SMALL, 20, 120), "road": (S.LARGE, 200, 1200),
    "water": (S.MEDIUM, 100, 600), "municipal": (S.MEDIUM, 60, 400), "manufacturing": (None, 10, 800),
    "services": (None, 8, 500), "catering": (S.MICRO, 5, 60), "logistics": (None, 10, 400), "trade": (S.MICRO, 3, 40),
}
LABOUR_WITHOUT_CODE = 2  # the last labour companies: 包工队 registered without their code


def _size_for(kind: str, employees: int) -> str:
    size = SIZES[kind][0]
    if size:
        return size
    return S.MICRO if employees < 20 else S.SMALL if employees < 100 else S.MEDIUM if employees < 300 else S.LARGE


def _create(ctx, *, kind, name, industry, credit_code, employees, size):
    rng = ctx.rng
    grid = rng.choice(ctx.grids)
    street = grid.parent.parent
    # Large firms register at street level, shops and workshops in their grid.
    territory = street if size in (S.LARGE, S.MEDIUM) and rng.random() < 0.5 else grid
    enterprise = enterprise_create(
        actor=ctx.actor,
        name=name,
        territory=territory,
        credit_code=credit_code,
        legal_representative=ctx.person_name(),
        legal_representative_id_number=ctx.id_number(local=rng.random() < 0.3),
        contact_phone=ctx.mobile(),
        address=ctx.address(street),
        industry=industry,
        size=size,
        employee_count=employees,
    )
    ctx.enterprises.append(enterprise)
    ctx.enterprises_by_kind.setdefault(kind, []).append(enterprise)
    ctx.count("企业")
    if not credit_code:
        ctx.count("企业(缺信用代码)")
    return enterprise


def load(ctx) -> None:
    rng = ctx.rng
    for kind, total in names.ENTERPRISE_COUNTS.items():
        industry, endings = names.ENTERPRISE_KINDS[kind]
        for index in range(total):
            name = ctx.unique_name(lambda endings=endings: rng.choice(names.TRADE_NAMES) + rng.choice(endings))
            employees = rng.randint(SIZES[kind][1], SIZES[kind][2])
            missing = kind == "labour" and index >= total - LABOUR_WITHOUT_CODE
            _create(
                ctx, kind=kind, name=name, industry=industry,
                credit_code=None if missing else ctx.credit_code(old_style=kind in ("general_contractor", "road") and index % 2 == 0),
                employees=employees, size=_size_for(kind, employees),
            )
    for index, (pattern, industry) in enumerate(names.INDIVIDUAL_BUSINESSES):
        name = ctx.unique_name(lambda pattern=pattern: pattern.format(surname=rng.choice(names.SURNAMES)))
        kind = "team" if industry == Industry.CONSTRUCTION else "individual"
        _create(
            ctx, kind=kind, name=name, industry=industry,
            credit_code=ctx.credit_code(individual=True) if index % 2 else None,
            employees=rng.randint(2, 12), size=S.MICRO,
        )

"""示范区 (110105): 4 streets, 12 communities, 40 grids."""

from wagewatch.core.models import Territory
from wagewatch.core.services import territory_create

from . import names

GRIDS_PER_COMMUNITY = (3, 3, 4)  # 10 per street, 40 in all
NUMERALS = "一二三四五六七八九十"


def load(ctx) -> None:
    L = Territory.Level
    district = territory_create(actor=ctx.actor, code="110105", name="示范区", level=L.DISTRICT)
    ctx.territories["district"] = district
    for suffix, street_name, key, communities in names.STREETS:
        street = territory_create(actor=ctx.actor, code=f"110105{suffix}", name=street_name, level=L.STREET, parent=district)
        ctx.territories[key] = street
        ctx.streets.append(street)
        for c_index, community_name in enumerate(communities, start=1):
            community = territory_create(
                actor=ctx.actor, code=f"{street.code}{c_index:03d}", name=community_name, level=L.COMMUNITY, parent=street
            )
            ctx.communities.append(community)
            for g_index in range(1, GRIDS_PER_COMMUNITY[c_index - 1] + 1):
                grid = territory_create(
                    actor=ctx.actor,
                    code=f"{community.code}G{g_index:02d}",
                    name=f"{community_name}第{NUMERALS[g_index - 1]}网格",
                    level=L.GRID,
                    parent=community,
                )
                ctx.grids.append(grid)
    ctx.count("辖区", 1 + len(ctx.streets) + len(ctx.communities) + len(ctx.grids))

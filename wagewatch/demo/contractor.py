"""The general contractor that uses the platform itself: an organisation linked to its enterprise,
with a project labour manager (劳资专管员) who keeps its rosters and payroll."""

from wagewatch.core.models import Organisation
from wagewatch.core.services import organisation_create

from . import users


def load(ctx) -> None:
    enterprise = ctx.enterprises_by_kind["general_contractor"][0]
    ctx.contractor_enterprise = enterprise
    ctx.organisations["contractor"] = organisation_create(
        actor=ctx.actor,
        name=enterprise.name,
        short_name=enterprise.name.removesuffix("有限公司"),
        kind=Organisation.Kind.GENERAL_CONTRACTOR,
        territory=enterprise.territory,
        enterprise=enterprise,
        leader_name=enterprise.legal_representative,
    )
    ctx.count("单位")
    users.create(ctx, organisation_keys={"contractor"}, actor=ctx.users["admin"])

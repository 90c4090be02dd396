"""Routing "谁主管谁负责": the editable RoutingRule rows decide who leads a case, who assists, who
gets a copy (the industry authority) and who is notified (the general contractor's headquarters)."""

from __future__ import annotations

from dataclasses import dataclass, field

from wagewatch.core.models import Industry, Organisation, Territory

from .models import RoutingRule


@dataclass
class RoutingDecision:
    rule: RoutingRule | None
    lead: Organisation | None
    assisting: list[Organisation] = field(default_factory=list)
    copy: list[Organisation] = field(default_factory=list)
    notified: list[Organisation] = field(default_factory=list)
    explanation: str = ""


def _ancestor_paths(territory: Territory) -> list[str]:
    """The path of the territory and of each of its ancestors (paths are materialised)."""
    parts = [p for p in territory.path.split("/") if p]
    return ["/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]


def territorial_government(territory: Territory) -> Organisation | None:
    """The street/township government whose territory holds this one (nearest first)."""
    paths = _ancestor_paths(territory)
    candidates = Organisation.objects.filter(
        kind=Organisation.Kind.STREET_GOVERNMENT, territory__path__in=paths, is_active=True
    ).select_related("territory")
    return max(candidates, key=lambda o: len(o.territory.path), default=None)


# Industries without a bureau of their own fall to the bureau that supervises them
# (real estate and municipal works: housing and urban-rural development, 住建).
SUPERVISING_INDUSTRY = {Industry.REAL_ESTATE: Industry.CONSTRUCTION, Industry.MUNICIPAL: Industry.CONSTRUCTION}


def industry_bureau(industry: str, territory: Territory) -> Organisation | None:
    """The industry bureau for `industry` nearest above the territory, if there is one."""
    paths = _ancestor_paths(territory)
    for wanted in dict.fromkeys([industry, SUPERVISING_INDUSTRY.get(industry, industry)]):
        candidates = list(
            Organisation.objects.filter(
                kind=Organisation.Kind.INDUSTRY_BUREAU, industry=wanted, territory__path__in=paths, is_active=True
            ).select_related("territory")
        )
        if candidates:
            return max(candidates, key=lambda o: len(o.territory.path))
    return None


def _rule_matches(rule: RoutingRule, *, industry: str, investment_type: str, territory: Territory) -> bool:
    if rule.industries and industry not in rule.industries:
        return False
    if rule.investment_types and investment_type not in rule.investment_types:
        return False
    if rule.territory_id and not territory.path.startswith(rule.territory.path):
        return False
    return True


def route(*, industry: str, territory: Territory, project=None) -> RoutingDecision:
    """Pick the lead unit for a case with this industry, territory and (optional) project."""
    investment_type = project.investment_type if project is not None else ""
    rules = RoutingRule.objects.filter(active=True).select_related("territory", "lead_organisation")
    street = territorial_government(territory)
    for rule in rules:
        if not _rule_matches(rule, industry=industry, investment_type=investment_type, territory=territory):
            continue
        lead = None
        if rule.lead_kind == RoutingRule.LeadKind.INDUSTRY_BUREAU:
            lead = (project.industry_authority if project is not None and project.industry_authority_id else None) or industry_bureau(
                industry, territory
            )
        elif rule.lead_kind == RoutingRule.LeadKind.STATE_OWNED_OWNER:
            lead = project.owner_organisation if project is not None and project.owner_organisation_id else None
        elif rule.lead_kind == RoutingRule.LeadKind.TERRITORIAL:
            lead = street
        elif rule.lead_kind == RoutingRule.LeadKind.ORGANISATION:
            lead = rule.lead_organisation
        if lead is None:
            continue  # the rule fits but names nobody here: try the next one
        decision = RoutingDecision(rule=rule, lead=lead, explanation=f"按规则“{rule.name}”由{lead.name}牵头办理")
        if rule.assist_territorial and street is not None and street != lead:
            decision.assisting.append(street)
        if rule.copy_industry_authority:
            authority = (project.industry_authority if project is not None and project.industry_authority_id else None) or industry_bureau(
                industry, territory
            )
            if authority is not None and authority != lead and authority not in decision.assisting:
                decision.copy.append(authority)
        if rule.notify_general_contractor and project is not None and project.general_contractor_id:
            hq = Organisation.objects.filter(
                kind=Organisation.Kind.GENERAL_CONTRACTOR, enterprise_id=project.general_contractor_id, is_active=True
            ).first()
            if hq is not None:
                decision.notified.append(hq)
        return decision
    if street is not None:
        return RoutingDecision(rule=None, lead=street, explanation=f"无匹配规则,由属地{street.name}办理")
    return RoutingDecision(rule=None, lead=None, explanation="无匹配规则且找不到属地街道,请清欠办人工指定责任单位")

"""Scoped reads of enterprises and projects.

Visibility (see wagewatch/core/scoping.py):
- a project: its territory lies in the user's subtree, or its industry authority or state-owned
  owner is the user's organisation, or its general contractor is the user's organisation's enterprise;
- an enterprise: its territory lies in the subtree, or it is the user's organisation's enterprise, or
  it takes part (owner, general contractor, participant) in a project linked to the user's
  organisation as above.
Links are expressed as `pk__in` subqueries so a list never needs DISTINCT.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from wagewatch.core.models import Role, Territory
from wagewatch.core.scoping import get_in_scope_or_404, scope_for

from .models import Enterprise, Project, ProjectParticipant, SupervisionThreshold

OFFICE_ROLES = {Role.OFFICE_STAFF, Role.OFFICE_LEADER, Role.ADMINISTRATOR}


def may_edit_enterprises(user) -> bool:
    return bool(user and user.is_authenticated and user.role in OFFICE_ROLES | {Role.WINDOW_CLERK})


def may_edit_projects(user) -> bool:
    return bool(user and user.is_authenticated and user.role in OFFICE_ROLES)


def may_edit_thresholds(user) -> bool:
    return may_edit_projects(user)


def _linked_projects(scope) -> QuerySet:
    """Projects linked to the user's organisation or enterprise, ignoring territory."""
    return Project.objects.filter(
        scope.q(organisation=("industry_authority_id", "owner_organisation_id"), enterprise=("general_contractor_id",))
    )


def project_scope_q(user) -> Q:
    scope = scope_for(user)
    if scope.sees_nothing:
        return Q(pk__in=[])
    return scope.q(
        territory="territory",
        organisation=("industry_authority_id", "owner_organisation_id"),
        enterprise=("general_contractor_id",),
    )


def enterprise_scope_q(user) -> Q:
    scope = scope_for(user)
    if scope.sees_nothing:
        return Q(pk__in=[])
    q = scope.q(territory="territory", enterprise=("pk",))
    if scope.organisation_id or scope.enterprise_id:
        linked = _linked_projects(scope)
        q |= Q(pk__in=linked.filter(owner_id__isnull=False).values("owner_id"))
        q |= Q(pk__in=linked.filter(general_contractor_id__isnull=False).values("general_contractor_id"))
        q |= Q(pk__in=ProjectParticipant.objects.filter(project__in=linked).values("enterprise_id"))
    return q


def territories_in_scope(user) -> QuerySet:
    """Territories a user may file records under (their subtree)."""
    scope = scope_for(user)
    if scope.territory_prefix is None:
        return Territory.objects.none()
    return Territory.objects.filter(path__startswith=scope.territory_prefix)


def enterprise_list(
    *,
    user,
    search: str = "",
    territory: Territory | None = None,
    industry: str = "",
    size: str = "",
    credit_code_missing: bool | None = None,
) -> QuerySet:
    qs = Enterprise.objects.filter(enterprise_scope_q(user)).select_related("territory")
    if search:
        from .rules import normalise_name

        search = search.strip()
        q = Q(name__icontains=search) | Q(credit_code__iexact=search.upper())
        key = normalise_name(search)
        if key:
            q |= Q(name_normalised__contains=key)
        qs = qs.filter(q)
    if territory is not None:
        qs = qs.filter(territory__path__startswith=territory.path)
    if industry:
        qs = qs.filter(industry=industry)
    if size:
        qs = qs.filter(size=size)
    if credit_code_missing is not None:
        qs = qs.filter(credit_code_missing=credit_code_missing)
    return qs.order_by("name", "pk")


def enterprise_get(*, user, pk) -> Enterprise:
    return get_in_scope_or_404(Enterprise.objects.filter(enterprise_scope_q(user)).select_related("territory"), pk=pk)


def project_list(
    *,
    user,
    search: str = "",
    territory: Territory | None = None,
    industry: str = "",
    investment_type: str = "",
    under_full_supervision: bool | None = None,
    status: str = "",
    enterprise: Enterprise | None = None,
) -> QuerySet:
    qs = Project.objects.filter(project_scope_q(user)).select_related(
        "territory", "owner", "owner_organisation", "general_contractor", "industry_authority"
    )
    if search:
        search = search.strip()
        qs = qs.filter(Q(name__icontains=search) | Q(code__icontains=search))
    if territory is not None:
        qs = qs.filter(territory__path__startswith=territory.path)
    if industry:
        qs = qs.filter(industry=industry)
    if investment_type:
        qs = qs.filter(investment_type=investment_type)
    if under_full_supervision is not None:
        qs = qs.filter(under_full_supervision=under_full_supervision)
    if status:
        qs = qs.filter(status=status)
    if enterprise is not None:
        qs = qs.filter(
            Q(owner=enterprise)
            | Q(general_contractor=enterprise)
            | Q(pk__in=ProjectParticipant.objects.filter(enterprise=enterprise).values("project_id"))
        )
    return qs.order_by("code", "pk")


def project_get(*, user, pk) -> Project:
    return get_in_scope_or_404(
        Project.objects.filter(project_scope_q(user)).select_related(
            "territory", "owner", "owner_organisation", "general_contractor", "industry_authority"
        ),
        pk=pk,
    )


def project_chain(*, project: Project) -> list[tuple[ProjectParticipant, int]]:
    """The subcontracting chain flattened depth-first: (participant, depth), depth 1 = directly
    under the general contractor. Participants whose parent is missing count as depth 1."""
    participants = list(project.participants.select_related("enterprise").order_by("pk"))
    children: dict[int | None, list[ProjectParticipant]] = {}
    ids = {p.pk for p in participants}
    for p in participants:
        children.setdefault(p.parent_id if p.parent_id in ids else None, []).append(p)
    out: list[tuple[ProjectParticipant, int]] = []

    def walk(parent_id, depth):
        for node in children.get(parent_id, []):
            out.append((node, depth))
            walk(node.pk, depth + 1)

    walk(None, 1)
    return out


def supervision_threshold_get() -> SupervisionThreshold:
    """The single threshold row; created with the shipped defaults on first use."""
    threshold = SupervisionThreshold.objects.order_by("pk").first()
    if threshold is None:
        threshold, _ = SupervisionThreshold.objects.get_or_create(pk=1)
    return threshold

"""The one scoping rule every selector applies.

A user sees what lies in their territory's subtree when their remit is territorial (the
wage-arrears office, the labour inspection brigade, window clerks, street governments, grid
workers), and what is linked to their own organisation (an industry bureau sees the projects it
supervises; a state-owned owner its own projects; a general contractor's labour manager the
projects it builds). Data providers read nothing. Anything outside the scope answers 404.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404

from .models import Role, User

# Roles whose remit is the whole territory of their organisation (normally the district).
JURISDICTION_ROLES = {
    Role.WINDOW_CLERK,
    Role.OFFICE_STAFF,
    Role.OFFICE_LEADER,
    Role.LABOUR_INSPECTOR,
    Role.ADMINISTRATOR,
}
# Roles that manage people: they see the users of their jurisdiction.
PEOPLE_MANAGER_ROLES = {Role.OFFICE_LEADER, Role.OFFICE_STAFF, Role.ADMINISTRATOR}


@dataclass(frozen=True)
class Scope:
    """What one user may see, reduced to three keys that selectors turn into filters."""

    user_id: int | None
    role: str
    territory_prefix: str | None = None  # subtree this user sees in full
    organisation_id: int | None = None  # things linked to this organisation
    enterprise_id: int | None = None  # things linked to this enterprise (general contractor)

    @property
    def sees_nothing(self) -> bool:
        return self.territory_prefix is None and not self.organisation_id and not self.enterprise_id

    def q(
        self,
        *,
        territory: str | None = None,
        organisation: tuple[str, ...] = (),
        enterprise: tuple[str, ...] = (),
    ) -> Q:
        """A filter for a model: `territory` names its territory FK path, the tuples name
        lookups that hold an organisation id or an enterprise id."""
        q = Q(pk__in=[])
        if self.territory_prefix is not None and territory:
            q |= Q(**{f"{territory}__path__startswith": self.territory_prefix})
        if self.organisation_id:
            for lookup in organisation:
                q |= Q(**{lookup: self.organisation_id})
        if self.enterprise_id:
            for lookup in enterprise:
                q |= Q(**{lookup: self.enterprise_id})
        return q


def scope_for(user: User) -> Scope:
    if not user or not user.is_authenticated or not user.is_active:
        return Scope(user_id=None, role="")
    role = user.role
    org = user.organisation
    if role == Role.DATA_PROVIDER:
        return Scope(user_id=user.pk, role=role)
    territory = user.effective_territory
    prefix = None
    if territory is not None and (
        role in JURISDICTION_ROLES or role == Role.GRID_WORKER or (org is not None and org.is_territorial)
    ):
        prefix = territory.path
    if role == Role.ADMINISTRATOR and prefix is None:
        prefix = ""  # an administrator without a territory sees everything
    return Scope(
        user_id=user.pk,
        role=role,
        territory_prefix=prefix,
        organisation_id=org.pk if org is not None else None,
        enterprise_id=org.enterprise_id if org is not None and org.enterprise_id else None,
    )


def get_in_scope_or_404(queryset: QuerySet, **lookup):
    """Fetch one object from an already scoped queryset; out of scope looks like missing."""
    try:
        return queryset.get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404("未找到该记录,或您无权查看") from None

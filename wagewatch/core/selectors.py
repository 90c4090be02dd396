"""Reads of territories, organisations and users, always scoped to the requesting user.

The rules (see also `wagewatch.core.scoping`):

- territories: the subtree of the user's scope; a user whose remit is not territorial (an
  industry bureau, a state-owned owner, a general contractor, the police) sees the subtree of
  their organisation's territory, because they need the names to file and filter; data
  providers see none;
- organisations: those whose territory lies in that subtree, plus the user's own;
- users: the office and administrators see the users of the organisations in their
  jurisdiction, a unit leader the users of their own organisation, everyone else only
  themselves.

Everything outside answers 404 (`get_in_scope_or_404`).
"""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from .models import Organisation, Role, Territory, User
from .scoping import PEOPLE_MANAGER_ROLES, get_in_scope_or_404, scope_for

# Roles that may unlock an account locked by failed logins (every unlock is recorded).
UNLOCK_ROLES = {Role.ADMINISTRATOR, Role.OFFICE_LEADER}


def territory_prefix_for(user: User) -> str | None:
    """The path prefix of the territory subtree `user` may list, or None for no territory."""
    scope = scope_for(user)
    if scope.user_id is None or scope.role == Role.DATA_PROVIDER:
        return None
    if scope.territory_prefix is not None:
        return scope.territory_prefix
    territory = user.effective_territory
    return territory.path if territory is not None else None


def territory_list(*, user: User, search: str = "", level: str = "") -> QuerySet[Territory]:
    prefix = territory_prefix_for(user)
    if prefix is None:
        return Territory.objects.none()
    qs = Territory.objects.filter(path__startswith=prefix).select_related("parent")
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(code__icontains=search))
    if level:
        qs = qs.filter(level=level)
    return qs.order_by("path")


def territory_get(*, user: User, pk) -> Territory:
    return get_in_scope_or_404(territory_list(user=user), pk=pk)


def organisation_list(
    *, user: User, search: str = "", kind: str = "", territory: Territory | None = None
) -> QuerySet[Organisation]:
    scope = scope_for(user)
    if scope.user_id is None:
        return Organisation.objects.none()
    visible = Q(pk__in=[])
    prefix = territory_prefix_for(user)
    if prefix is not None:
        visible |= Q(territory__path__startswith=prefix)
    if user.organisation_id:
        visible |= Q(pk=user.organisation_id)
    qs = Organisation.objects.filter(visible).select_related("territory")
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(short_name__icontains=search))
    if kind:
        qs = qs.filter(kind=kind)
    if territory is not None:
        qs = qs.filter(territory__path__startswith=territory.path)
    return qs.order_by("kind", "name")


def organisation_get(*, user: User, pk) -> Organisation:
    return get_in_scope_or_404(organisation_list(user=user), pk=pk)


def may_see_users_of_others(user: User) -> bool:
    return bool(user and user.is_authenticated and (user.role in PEOPLE_MANAGER_ROLES or user.role == Role.UNIT_LEADER))


def user_list(
    *, user: User, search: str = "", role: str = "", organisation: Organisation | None = None, locked: bool | None = None
) -> QuerySet[User]:
    scope = scope_for(user)
    if scope.user_id is None:
        return User.objects.none()
    visible = Q(pk=user.pk)
    if user.role in PEOPLE_MANAGER_ROLES:
        prefix = scope.territory_prefix
        if prefix == "":
            visible = Q()  # an administrator without a territory sees every account
        else:
            if prefix is not None:
                visible |= Q(organisation__territory__path__startswith=prefix)
            if user.organisation_id:
                visible |= Q(organisation_id=user.organisation_id)
    elif user.role == Role.UNIT_LEADER and user.organisation_id:
        visible |= Q(organisation_id=user.organisation_id)
    qs = User.objects.filter(visible).select_related("organisation", "territory")
    if search:
        qs = qs.filter(Q(username__icontains=search) | Q(full_name__icontains=search))
    if role:
        qs = qs.filter(role=role)
    if organisation is not None:
        qs = qs.filter(organisation=organisation)
    if locked is not None:
        from django.utils import timezone

        now = timezone.now()
        qs = qs.filter(locked_until__gt=now) if locked else qs.exclude(locked_until__gt=now)
    return qs.order_by("username")


def user_get(*, user: User, pk) -> User:
    return get_in_scope_or_404(user_list(user=user), pk=pk)


def may_unlock(actor: User) -> bool:
    """Administrators and office leaders unlock the accounts they can see."""
    return bool(actor and actor.is_authenticated and actor.role in UNLOCK_ROLES)


def territory_children(*, user: User, territory: Territory) -> QuerySet[Territory]:
    return territory_list(user=user).filter(parent=territory).annotate(child_count=Count("children"))

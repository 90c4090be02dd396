"""Core API: the signed-in user, territories, organisations and users, scoped like the pages.

Anything outside the caller's scope answers 404; users' and organisations' phone numbers are always masked."""


from datetime import datetime

from ninja import Router, Schema
from ninja.pagination import paginate

from wagewatch.core.pagination import BoundedPageNumberPagination
from wagewatch.core.values import Id

from . import selectors
from .models import Organisation, Territory, User
from .protected import PHONE, mask
from .services import user_is_locked

router = Router(tags=["辖区、单位与用户"])


class RefOut(Schema):
    id: int
    name: str


class TerritoryOut(Schema):
    id: int
    code: str
    name: str
    level: str
    level_label: str
    parent_id: int | None
    path: str

    @staticmethod
    def resolve_level_label(obj: Territory) -> str:
        return obj.get_level_display()


class OrganisationOut(Schema):
    id: int
    name: str
    short_name: str
    kind: str
    kind_label: str
    industry: str
    territory: RefOut
    leader_name: str
    phone: str
    is_active: bool

    @staticmethod
    def resolve_phone(obj: Organisation) -> str:
        return mask(PHONE, obj.phone)

    @staticmethod
    def resolve_kind_label(obj: Organisation) -> str:
        return obj.get_kind_display()


class UserOut(Schema):
    id: int
    username: str
    full_name: str
    role: str
    role_label: str
    organisation: RefOut | None
    territory: RefOut | None
    phone: str
    last_login: datetime | None
    is_active: bool
    locked: bool
    locked_until: datetime | None

    @staticmethod
    def resolve_role_label(obj: User) -> str:
        return obj.get_role_display()

    @staticmethod
    def resolve_organisation(obj: User):
        return obj.organisation

    @staticmethod
    def resolve_territory(obj: User):
        return obj.territory

    @staticmethod
    def resolve_phone(obj: User) -> str:
        return mask(PHONE, obj.phone)

    @staticmethod
    def resolve_locked(obj: User) -> bool:
        return user_is_locked(obj)

    @staticmethod
    def resolve_locked_until(obj: User):
        return obj.locked_until if user_is_locked(obj) else None


class MeOut(UserOut):
    effective_territory: RefOut | None
    may_see_users: bool
    may_unlock: bool

    @staticmethod
    def resolve_effective_territory(obj: User):
        return obj.effective_territory

    @staticmethod
    def resolve_may_see_users(obj: User) -> bool:
        return selectors.may_see_users_of_others(obj)

    @staticmethod
    def resolve_may_unlock(obj: User) -> bool:
        return selectors.may_unlock(obj)


@router.get("/me", response=MeOut, summary="当前用户")
def me(request):
    return _user(request)


def _user(request) -> User:
    # Bearer tokens put the user in request.auth; session sign-in in request.user.
    return request.auth if isinstance(request.auth, User) else request.user


@router.get("/territories", response=list[TerritoryOut], summary="辖区列表")
@paginate(BoundedPageNumberPagination, page_size=50, max_page_size=500)
def territory_list(request, q: str = "", level: str = ""):
    return selectors.territory_list(user=_user(request), search=q, level=level)


@router.get("/territories/{territory_id}", response=TerritoryOut, summary="辖区详情")
def territory_detail(request, territory_id: Id):
    return selectors.territory_get(user=_user(request), pk=territory_id)


@router.get("/organisations", response=list[OrganisationOut], summary="单位列表")
@paginate(BoundedPageNumberPagination, page_size=50, max_page_size=500)
def organisation_list(request, q: str = "", kind: str = "", territory_id: Id | None = None):
    user = _user(request)
    territory = selectors.territory_get(user=user, pk=territory_id) if territory_id else None
    return selectors.organisation_list(user=user, search=q, kind=kind, territory=territory)


@router.get("/organisations/{organisation_id}", response=OrganisationOut, summary="单位详情")
def organisation_detail(request, organisation_id: Id):
    return selectors.organisation_get(user=_user(request), pk=organisation_id)


@router.get("/users", response=list[UserOut], summary="用户列表")
@paginate(BoundedPageNumberPagination, page_size=50, max_page_size=500)
def user_list(request, q: str = "", role: str = "", organisation_id: Id | None = None, locked: bool | None = None):
    user = _user(request)
    organisation = selectors.organisation_get(user=user, pk=organisation_id) if organisation_id else None
    return selectors.user_list(user=user, search=q, role=role, organisation=organisation, locked=locked)


@router.get("/users/{user_id}", response=UserOut, summary="用户详情")
def user_detail(request, user_id: Id):
    return selectors.user_get(user=_user(request), pk=user_id)


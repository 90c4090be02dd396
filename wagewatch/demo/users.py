"""A user for every role. All share DEMO_PASSWORD; `make run` prints this list."""

from contextlib import contextmanager

from wagewatch.core.models import Role
from wagewatch.core.services import user_create

from .base import DEMO_PASSWORD

# username, role, organisation key, territory ("" = the organisation's; "grid:N" = the N-th grid), name
DEMO_USERS = [
    ("admin", Role.ADMINISTRATOR, "office", "", "赵敏"),
    ("office_leader", Role.OFFICE_LEADER, "office", "", "周建华"),
    ("office_staff", Role.OFFICE_STAFF, "office", "", "钱晓东"),
    ("clerk", Role.WINDOW_CLERK, "mediation", "", "孙丽"),
    ("inspector", Role.LABOUR_INSPECTOR, "inspection", "", "吴磊"),
    ("inspector2", Role.LABOUR_INSPECTOR, "inspection", "", "郑海燕"),
    ("donghu_leader", Role.UNIT_LEADER, "street1", "", "林海涛"),
    ("donghu_handler", Role.UNIT_HANDLER, "street1", "", "冯晓明"),
    ("donghu_grid", Role.GRID_WORKER, "street1", "grid:0", "邓春燕"),
    ("xishan_leader", Role.UNIT_LEADER, "street2", "", "何秀英"),
    ("xishan_handler", Role.UNIT_HANDLER, "street2", "", "曹志强"),
    ("xishan_grid", Role.GRID_WORKER, "street2", "grid:10", "彭建军"),
    ("nanyuan_leader", Role.UNIT_LEADER, "street3", "", "罗志明"),
    ("nanyuan_handler", Role.UNIT_HANDLER, "street3", "", "曾红梅"),
    ("beitang_leader", Role.UNIT_LEADER, "street4", "", "谢德胜"),
    ("beitang_handler", Role.UNIT_HANDLER, "street4", "", "肖国庆"),
    ("housing_leader", Role.UNIT_LEADER, "housing", "", "王振华"),
    ("housing_handler", Role.UNIT_HANDLER, "housing", "", "田宇航"),
    ("transport_leader", Role.UNIT_LEADER, "transport", "", "陈立新"),
    ("transport_handler", Role.UNIT_HANDLER, "transport", "", "董俊峰"),
    ("water_leader", Role.UNIT_LEADER, "water", "", "刘长江"),
    ("water_handler", Role.UNIT_HANDLER, "water", "", "袁文华"),
    ("soe_leader", Role.UNIT_LEADER, "soe_owner", "", "孙宏伟"),
    ("soe_handler", Role.UNIT_HANDLER, "soe_owner", "", "潘永刚"),
    ("police_handler", Role.UNIT_HANDLER, "police", "", "马卫东"),
    ("court_handler", Role.UNIT_HANDLER, "court", "", "黄文静"),
    ("labour_manager", Role.PROJECT_LABOUR_MANAGER, "contractor", "", "蒋德胜"),
    ("data_feed", Role.DATA_PROVIDER, "data_feed", "", "数据共享平台接口"),
]


def _territory(ctx, key: str):
    if not key:
        return None
    if key.startswith("grid:"):
        return ctx.grids[int(key[5:])]
    return ctx.territories[key]


@contextmanager
def _one_hash_for_the_demo_password():
    """Every demo account has the same published password: hash it once (one salt) instead of
    paying the full PBKDF2 cost per account, which would dominate the load time."""
    from django.contrib.auth import base_user

    original = base_user.make_password
    cache: dict[str, str] = {}

    def make_password(password, salt=None, hasher="default"):
        if password != DEMO_PASSWORD or salt is not None or hasher != "default":
            return original(password, salt, hasher)
        if password not in cache:
            cache[password] = original(password)
        return cache[password]

    base_user.make_password = make_password
    try:
        yield
    finally:
        base_user.make_password = original


def create(ctx, *, organisation_keys: set[str] | None = None, actor=None) -> None:
    """Create the demo users whose organisation exists (or is in `organisation_keys`)."""
    with _one_hash_for_the_demo_password():
        _create(ctx, organisation_keys, actor)


def _create(ctx, organisation_keys, actor) -> None:
    for username, role, org_key, territory_key, full_name in DEMO_USERS:
        if username in ctx.users or org_key not in ctx.organisations:
            continue
        if organisation_keys is not None and org_key not in organisation_keys:
            continue
        ctx.users[username] = user_create(
            actor=actor if actor is not None else ctx.users.get("admin"),
            username=username,
            password=DEMO_PASSWORD,
            role=role,
            organisation=ctx.organisations[org_key],
            territory=_territory(ctx, territory_key),
            full_name=full_name,
            phone=ctx.mobile(),
        )
        ctx.count("用户")


def load(ctx) -> None:
    create(ctx)

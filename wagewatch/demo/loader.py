"""Runs the demo steps in order inside one transaction: all of the demo or none of it."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db import transaction

from wagewatch.core.auth import api_token_create, token_hash, usable_tokens
from wagewatch.core.models import Organisation, Territory, User

from . import cases, contractor, enterprises, organisations, payroll, projects, territory, users
from .base import DEMO_PASSWORD, DemoContext

# (label, module, actor username: None = the system, before any user exists). Append new modules here.
STEPS = [
    ("辖区", territory, None),
    ("单位", organisations, None),
    ("用户", users, None),
    ("企业", enterprises, "office_staff"),
    ("总包单位", contractor, "admin"),
    ("建设项目", projects, "office_staff"),
    ("投诉和案件", cases, "clerk"),
    ("工资核对", payroll, "office_staff"),
]
TOKEN_NAME = "演示数据接口"


def database_is_empty() -> bool:
    return not (Territory.objects.exists() or Organisation.objects.exists() or User.objects.exists())


def token_file() -> Path:
    return Path(settings.VAR_DIR) / "keys" / "demo-api-token"


@transaction.atomic
def load(*, progress=None) -> DemoContext:
    ctx = DemoContext()
    for label, module, actor in STEPS:
        ctx.actor = ctx.users[actor] if actor else None
        if progress:
            progress(f"载入{label}…")
        module.load(ctx)
    ctx.api_token = api_token_create(user=ctx.users["data_feed"], name=TOKEN_NAME)
    transaction.on_commit(lambda: _remember_token(ctx.api_token))
    return ctx


def _remember_token(token: str) -> None:
    """Keep the demo token beside the embedded keys, so `make run` can show it again later."""
    path = token_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(token, encoding="utf-8")


def demo_token() -> str | None:
    """The demo data provider's token, if it is the one in this database and still valid."""
    path = token_file()
    if not path.exists():
        return None
    token = path.read_text(encoding="utf-8").strip()
    valid = usable_tokens().filter(token_hash=token_hash(token)).exists()
    return token if valid else None


def demo_logins() -> list[dict]:
    """The demo users present in this database, in the order of users.DEMO_USERS."""
    usernames = [row[0] for row in users.DEMO_USERS]
    found = {u.username: u for u in User.objects.filter(username__in=usernames).select_related("organisation")}
    rows = []
    for username in usernames:
        user = found.get(username)
        if user is None:
            continue
        rows.append(
            {
                "username": username,
                "password": DEMO_PASSWORD,
                "role": user.get_role_display(),
                "organisation": str(user.organisation.name) if user.organisation else "",
                "name": user.full_name,
            }
        )
    return rows


def logins_table(rows: list[dict]) -> str:
    """A plain-text table; widths count a Chinese character as two columns."""
    import unicodedata

    def width(text: str) -> int:
        return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)

    def pad(text: str, size: int) -> str:
        return text + " " * (size - width(text))

    header = {"username": "用户名", "role": "角色", "name": "姓名", "organisation": "所属单位"}
    columns = ["username", "role", "name", "organisation"]
    sizes = {c: max(width(header[c]), *(width(r[c]) for r in rows)) if rows else width(header[c]) for c in columns}
    lines = ["  ".join(pad(header[c], sizes[c]) for c in columns).rstrip()]
    lines.append("  ".join("-" * sizes[c] for c in columns))
    lines += ["  ".join(pad(r[c], sizes[c]) for c in columns).rstrip() for r in rows]
    return "\n".join(lines)

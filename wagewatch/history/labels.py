"""Chinese labels of history actions, shown on timelines.

Apps register the labels of their own actions in `AppConfig.ready()`:

    from wagewatch.history.labels import register_action_labels
    register_action_labels({"case.closed": "案件办结"})
"""

from __future__ import annotations

import json
import re
from functools import lru_cache

from wagewatch.core.redact import redact_data

ACTION_LABELS: dict[str, str] = {
    "territory.created": "新建辖区",
    "territory.updated": "修改辖区",
    "organisation.created": "新建单位",
    "organisation.updated": "修改单位",
    "user.created": "新建用户",
    "user.updated": "修改用户",
    "user.locked": "账号锁定(登录失败过多)",
    "user.unlocked": "账号解锁",
    "user.password_changed": "修改密码",
    "user.deactivated": "停用用户",
    "personal_data.revealed": "查看完整个人信息",
    "enterprise.created": "登记企业",
    "enterprise.updated": "修改企业信息",
    "project.created": "登记建设项目",
    "project.updated": "修改建设项目",
    "project.participant_added": "添加参建单位",
    "project.participant_removed": "移除参建单位",
    "supervision_threshold.updated": "修改纳入监管标准",
    "calendar.year_loaded": "载入年度工作日历",
    "calendar.day_changed": "调整工作日历",
    "time_limit.updated": "修改办理时限",
    "complaint.registered": "登记投诉",
    "complaint.merged": "合并投诉",
    "case.created": "立案",
    "case.dispatched": "转办",
    "case.escalated": "升级处理",
    "case.resolved": "办结",
    "case.closed": "结案",
    "case.reopened": "重新办理",
}

# Readable names of payload keys seen often; unknown keys are shown as they are.
PAYLOAD_KEY_LABELS: dict[str, str] = {
    "name": "名称",
    "code": "编码",
    "level": "层级",
    "kind": "类型",
    "role": "角色",
    "username": "用户名",
    "organisation": "单位",
    "territory": "辖区",
    "field": "字段",
    "year": "年份",
    "changes": "变更",
    "failed_logins": "失败次数",
    "locked_until": "锁定至",
    "reason": "原因",
    "amount": "金额",
    "status": "状态",
}

# Readable names of coded values seen in payloads (states, channels), registered by apps.
VALUE_LABELS: dict[str, str] = {}

SUMMARY_LENGTH = 80
_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def register_payload_labels(keys: dict[str, str] | None = None, values: dict[str, str] | None = None) -> None:
    """Add readable names of payload keys and of coded values; call from `AppConfig.ready()`.
    The names are shared by every timeline: an app may not rename what another app named (the
    other app's timelines would change wording), so a clash stops the start-up."""
    from django.core.exceptions import ImproperlyConfigured

    for table, new in ((PAYLOAD_KEY_LABELS, keys or {}), (VALUE_LABELS, values or {})):
        clashes = {k: (table[k], v) for k, v in new.items() if k in table and table[k] != v}
        if clashes:
            raise ImproperlyConfigured(f"历史记录标签冲突(已有名称不能改): {clashes}")
        table.update(new)


def register_action_labels(labels: dict[str, str]) -> None:
    """Add or replace labels; call from an app's `AppConfig.ready()`."""
    for action, label in labels.items():
        if not isinstance(action, str) or not isinstance(label, str) or not label:
            raise ValueError(f"动作标签必须是非空文本: {action!r}")
    ACTION_LABELS.update(labels)


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


@lru_cache(maxsize=128)
def field_labels_of(object_type: str) -> dict[str, str]:
    """Verbose names of the fields of the model an event is about ("registry.enterprise")."""
    from django.apps import apps

    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        return {}
    return {f.name: str(f.verbose_name) for f in model._meta.get_fields() if hasattr(f, "verbose_name")}


@lru_cache(maxsize=128)
def object_type_label(object_type: str) -> str:
    """The Chinese name of the model an event is about, or the raw type."""
    from django.apps import apps

    try:
        return str(apps.get_model(object_type)._meta.verbose_name)
    except (LookupError, ValueError):
        return object_type


def _short(value, labels: dict[str, str] | None = None) -> str:
    if isinstance(value, dict):
        return "、".join((labels or {}).get(str(k), str(k)) for k in value)
    if isinstance(value, list):
        return f"[{len(value)}项]"
    if value is None:
        return "空"
    if value is True:
        return "是"
    if value is False:
        return "否"
    if isinstance(value, str):
        if value in VALUE_LABELS:
            return VALUE_LABELS[value]
        if _ISO_TIME.match(value):
            return _local_time(value)
    return str(value)


def _local_time(text: str) -> str:
    from datetime import datetime

    from django.utils import timezone

    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return f"{moment:%Y-%m-%d %H:%M}"


def payload_summary(payload: str, limit: int = SUMMARY_LENGTH, field_labels: dict[str, str] | None = None) -> str:
    """A short one-line reading of a payload for people, e.g. "名称: 东城街道; 层级: street"."""
    try:
        data = json.loads(payload) if isinstance(payload, str) else payload
    except ValueError:
        return ""
    # Masked before it is cut short: events recorded before payloads were masked may hold a
    # clear number, and a cut through it would leave digits no mask can recognise.
    data = redact_data(data)
    if not isinstance(data, dict):
        text = _short(data)
    else:
        labels = field_labels or {}
        text = "; ".join(f"{labels.get(k) or PAYLOAD_KEY_LABELS.get(k, k)}: {_short(v, labels)}" for k, v in data.items())
    return text if len(text) <= limit else text[: limit - 1] + "…"

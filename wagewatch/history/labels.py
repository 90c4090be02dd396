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
    "office_hours.updated": "修改办公时间",
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
    # shared by many apps' events
    "changed": "变更项",
    "old": "原值",
    "new": "新值",
    "before": "修改前",
    "after": "修改后",
    "via": "途径",
    "fields": "字段",
    "by_self": "本人修改",
    "filename": "文件名",
    "sha256": "文件摘要(SHA-256)",
    "size": "大小(字节)",
    "type": "文件类型",
    "rows": "行数",
    "rejected_rows": "有误行数",
    "file_errors": "文件错误数",
    "linked": "关联",
    "month": "月份",
    "prefix": "令牌前缀",
    "user": "用户",
    "source": "来源",
    "replaced": "替换原有",
    "holidays": "节假日",
    "makeup_working_days": "调休上班日",
    "key": "事项",
    "lines": "明细行数",
    "projects_changed": "监管状态变化的项目数",
    "projects_now_supervised": "新纳入监管的项目数",
    "projects_no_longer_supervised": "不再纳入监管的项目数",
    "enterprise": "企业",
    "project": "项目",
    "parent": "上级单位",
    "worker": "劳动者",
    "team": "班组",
    "id_number": "身份证号",
    "action": "处理",
    "result": "结果",
}

# Readable names of coded values seen in payloads (states, channels), registered by apps.
VALUE_LABELS: dict[str, str] = {}
# Readable names of coded values under one payload key ("method": {"phone": "电话"}): checked
# before VALUE_LABELS, since one code means different things under different keys.
KEY_VALUE_LABELS: dict[str, dict[str, str]] = {}
# Payload keys that hold the id of a row ("evidence": "intake.evidence"): shown as the row's name.
REF_MODELS: dict[str, str] = {"user": "core.user", "enterprise": "registry.enterprise", "project": "registry.project", "parent": "registry.projectparticipant"}
# Payload keys of no use to a reader (internal ids whose meaning another key already gives).
HIDDEN_KEYS: set[str] = {"participant"}
# Payload keys whose values are field names of the event's object ("field": "complainant_phone").
FIELD_NAME_KEYS = {"field", "fields", "changed"}

SUMMARY_LENGTH = 80
_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
LIST_SHOWN = 3


def register_payload_labels(
    keys: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    *,
    key_values: dict[str, dict[str, str]] | None = None,
    refs: dict[str, str] | None = None,
    hidden: set[str] | list[str] | tuple[str, ...] = (),
) -> None:
    """Add readable names of payload keys and of coded values; call from `AppConfig.ready()`.

    `key_values` names the codes under one key (`{"method": dict(Callback.Method.choices)}`),
    `refs` the keys holding a row's id (`{"evidence": "intake.evidence"}`: shown by the row's
    name), `hidden` the keys a reader has no use for. The names are shared by every timeline:
    an app may not rename what another app named (the other app's timelines would change
    wording), so a clash stops the start-up."""
    from django.core.exceptions import ImproperlyConfigured

    tables = [(PAYLOAD_KEY_LABELS, keys or {}), (VALUE_LABELS, values or {}), (REF_MODELS, refs or {})]
    for key, labels in (key_values or {}).items():
        tables.append((KEY_VALUE_LABELS.setdefault(key, {}), {str(k): str(v) for k, v in dict(labels).items()}))
    for table, new in tables:
        clashes = {k: (table[k], v) for k, v in new.items() if k in table and table[k] != v}
        if clashes:
            raise ImproperlyConfigured(f"历史记录标签冲突(已有名称不能改): {clashes}")
    for table, new in tables:
        table.update(new)
    HIDDEN_KEYS.update(hidden)


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
        return "、".join((labels or {}).get(str(k), PAYLOAD_KEY_LABELS.get(str(k), str(k))) for k in value)
    if isinstance(value, list):
        items = [_short(v) for v in value]
        shown = "、".join(items[:LIST_SHOWN])
        return shown + (f"等{len(items)}项" if len(items) > LIST_SHOWN else "")
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


@lru_cache(maxsize=128)
def model_fields_of(object_type: str) -> dict:
    """The concrete fields of the model an event is about, by name (choices and relations)."""
    from django.apps import apps

    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        return {}
    return {f.name: f for f in model._meta.get_fields() if getattr(f, "concrete", False)}


def row_name(model_label: str, pk, names: dict | None = None) -> str:
    """The name of one row ("intake.evidence", 12 → its file name); "已删除" when gone. `names`
    caches what one rendering has already read (see `events_name`)."""
    from django.apps import apps

    key = (model_label.lower(), str(pk))
    if names is not None and key in names:
        return names[key]
    try:
        model = apps.get_model(model_label)
        obj = model._default_manager.filter(pk=pk).first()
    except (LookupError, ValueError, TypeError):
        obj = None
    name = str(obj) if obj is not None else "已删除"
    if names is not None:
        names[key] = name
    return name


def code_name(model_label: str, code: str, names: dict | None = None) -> str:
    """The name of the row with this unique `code` ("core.territory", "110105001" → 东湖街道), or ""
    when the model has no unique code or no such row (the code is then shown as it is)."""
    from django.apps import apps
    from django.core.exceptions import FieldDoesNotExist

    key = (model_label.lower(), f"code:{code}")
    if names is not None and key in names:
        return names[key]
    try:
        model = apps.get_model(model_label)
        field = model._meta.get_field("code")
    except (LookupError, ValueError, FieldDoesNotExist):  # no such model, or it has no code: nothing to look up
        return ""
    obj = model._default_manager.filter(code=code).first() if getattr(field, "unique", False) else None
    name = str(obj) if obj is not None else ""
    if names is not None:
        names[key] = name
    return name


def _value_text(key: str, value, data: dict, object_type: str, field_labels: dict, names: dict | None) -> str:
    if isinstance(value, str) and f"{key}_label" in data:
        return str(data[f"{key}_label"])
    if isinstance(value, int) and not isinstance(value, bool) and f"{key}_name" in data:
        return str(data[f"{key}_name"])
    if key in FIELD_NAME_KEYS and field_labels and isinstance(value, str | list):
        named = [field_labels.get(str(v), PAYLOAD_KEY_LABELS.get(str(v), str(v))) for v in (value if isinstance(value, list) else [value])]
        return _short(named) if isinstance(value, list) else named[0]
    field = model_fields_of(object_type).get(key) if object_type else None
    if field is not None and value not in (None, ""):
        if getattr(field, "choices", None) and not isinstance(value, list | dict):
            choices = {str(k): str(v) for k, v in field.flatchoices}
            if str(value) in choices:
                return choices[str(value)]
        # Ids are JSON numbers; a string under a relation's name is a code ("territory": "110105001"),
        # read as that row's name when the related model is keyed by a unique code.
        if getattr(field, "many_to_one", False) and isinstance(value, int) and not isinstance(value, bool):
            return row_name(field.related_model._meta.label, value, names)
        if getattr(field, "many_to_one", False) and isinstance(value, str):
            named = code_name(field.related_model._meta.label, value, names)
            if named:
                return named
    if key in KEY_VALUE_LABELS and isinstance(value, str | int) and str(value) in KEY_VALUE_LABELS[key]:
        return KEY_VALUE_LABELS[key][str(value)]
    if key in KEY_VALUE_LABELS and isinstance(value, dict):
        # {code: count} ("findings_by_kind": {"shortfall": 2}) reads "少发工资2".
        return "、".join(f"{KEY_VALUE_LABELS[key].get(str(k), str(k))}{'' if isinstance(v, dict | list) else _short(v)}" for k, v in value.items())
    if key in KEY_VALUE_LABELS and isinstance(value, list):
        return _short([KEY_VALUE_LABELS[key].get(str(v), v) for v in value])
    if key in REF_MODELS and isinstance(value, int) and not isinstance(value, bool):
        return row_name(REF_MODELS[key], value, names)
    return _short(value, field_labels)


def _skipped(key: str, value, data: dict) -> bool:
    if key in HIDDEN_KEYS or value in ("", None, [], {}):
        return True
    for suffix in ("_label", "_name"):
        if key.endswith(suffix) and key[: -len(suffix)] in data:
            return True  # shown as the value of the key it names
    return False


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


def payload_items(payload, field_labels: dict[str, str] | None = None, object_type: str = "", names: dict | None = None) -> list[tuple[str, str]]:
    """A payload as (label, value) pairs in Chinese words: keys by their registered or field
    names, codes by their choices, ids by the names of their rows; empty and internal keys left out."""
    try:
        data = json.loads(payload) if isinstance(payload, str) else payload
    except ValueError:
        return []
    # Masked before it is cut short: events recorded before payloads were masked may hold a
    # clear number, and a cut through it would leave digits no mask can recognise.
    data = redact_data(data)
    if not isinstance(data, dict):
        return [("", _short(data))]
    labels = field_labels or {}
    return [
        (labels.get(k) or PAYLOAD_KEY_LABELS.get(k, k), _value_text(k, v, data, object_type, labels, names))
        for k, v in data.items()
        if not _skipped(k, v, data)
    ]


def payload_summary(
    payload, limit: int = SUMMARY_LENGTH, field_labels: dict[str, str] | None = None, object_type: str = "", names: dict | None = None
) -> str:
    """A short one-line reading of a payload for people, e.g. "名称: 东城街道; 层级: 街道(乡镇)"."""
    items = payload_items(payload, field_labels=field_labels, object_type=object_type, names=names)
    text = "; ".join(f"{k}: {v}" if k else v for k, v in items)
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"

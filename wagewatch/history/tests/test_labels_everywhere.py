"""Issue 9: timelines and the home page speak Chinese words with names, never raw keys, ids or
English codes. Two nets: every action and payload key the code emits (found by reading the source)
has a Chinese label; and every event a realistic run of the platform records (the demo, loaded
through the services) reads without a raw key, an id as "#123" or an English code as a value."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import wagewatch
from wagewatch.history import labels as L

ROOT = Path(wagewatch.__file__).parent
CJK = re.compile(r"[\u4e00-\u9fff]")
# A value that is only an English word or code ("phone", "in_progress", "advance_payment").
ENGLISH_CODE = re.compile(r"[A-Za-z]+(?:[_ ][A-Za-z]+)*")
ID_AS_NUMBER = re.compile(r"#\d+")
# Keys whose value is the id of a row: shown by the row's name, never as a bare number.
# Values people type in Latin letters (a user name, a file name, a code): not a code to translate.
TYPED_KEYS = {"username", "filename", "prefix", "sha256", "code", "external_id", "name", "file_name"}
ID_KEYS = {"evidence", "escalation", "participant", "enterprise", "project", "user", "organisation", "deadline", "follow_up", "worker", "team", "parent"}


def _calls():
    """(action expression, payload expression, where) of every event the source appends."""
    for path in sorted(ROOT.rglob("*.py")):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            kw = {k.arg: k.value for k in node.keywords}
            if name == "event_append":
                yield kw.get("action"), kw.get("payload"), where
            elif name == "events_append" and isinstance(kw.get("entries"), ast.List | ast.ListComp):
                entries = kw["entries"]
                elts = entries.elts if isinstance(entries, ast.List) else [entries.elt]
                for elt in elts:
                    if isinstance(elt, ast.Tuple) and len(elt.elts) >= 3:
                        yield elt.elts[0], elt.elts[2], where
            elif name == "_transition" and len(node.args) > 1 and isinstance(node.args[1], ast.Constant):
                yield ast.Constant(f"case.{node.args[1].value}"), None, where
            elif name.endswith(("_event", "_entry")) or name == "entry":
                # A helper that appends the event: its action is a dotted string among its
                # arguments, its payload the dict after it.
                for i, arg in enumerate(node.args):
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and re.fullmatch(r"[a-z_]+\.[a-z_]+", arg.value):
                        yield arg, node.args[i + 1] if len(node.args) > i + 1 else None, where


def emitted_actions() -> dict[str, str]:
    found = {}
    for action, _, where in _calls():
        if isinstance(action, ast.Constant) and isinstance(action.value, str):
            found.setdefault(action.value, where)
    # Actions chosen before the call: `action = "a.b" if … else "a.c"`, or passed on as `action="a.b"`
    # to a helper that appends the event.
    dotted = re.compile(r"[a-z_]+\.[a-z_]+")
    for path in sorted(ROOT.rglob("*.py")):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            values = []
            if isinstance(node, ast.keyword) and node.arg == "action":
                values = [node.value]
            elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "action" for t in node.targets):
                values = [node.value]
            for value in values:
                for c in ast.walk(value):
                    if isinstance(c, ast.Constant) and isinstance(c.value, str) and dotted.fullmatch(c.value):
                        found.setdefault(c.value, f"{path.relative_to(ROOT)}:{c.lineno}")
    return found


def emitted_keys() -> dict[str, str]:
    keys = {}
    for _, payload, where in _calls():
        for node in ast.walk(payload) if payload is not None else []:
            if isinstance(node, ast.Dict):
                for k in node.keys:
                    if isinstance(k, ast.Constant) and isinstance(k.value, str):
                        keys.setdefault(k.value, where)
            elif isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) in {"_payload", "dict"}:
                for k in node.keywords:
                    if k.arg:
                        keys.setdefault(k.arg, where)
    return keys


def key_is_readable(key: str) -> bool:
    if key in L.HIDDEN_KEYS or key.endswith(("_label", "_name")):
        return True
    return bool(CJK.search(L.PAYLOAD_KEY_LABELS.get(key, "")))


def test_every_action_the_code_emits_has_a_chinese_label(db):
    missing = {a: where for a, where in emitted_actions().items() if not CJK.search(L.action_label(a))}
    assert not missing, f"没有中文名称的动作: {missing}"


def test_every_payload_key_the_code_writes_has_a_chinese_label(db):
    from django.apps import apps

    # A key named like a field of some model is read by that field's name on its own objects.
    fields = {f.name for m in apps.get_models() for f in m._meta.get_fields() if CJK.search(str(getattr(f, "verbose_name", "")))}
    missing = {k: where for k, where in emitted_keys().items() if not key_is_readable(k) and k not in fields}
    assert not missing, f"没有中文名称的内容字段: {missing}"


# ---------------------------------------------------------------- what a person reads


def reading_problems(event) -> list[str]:
    problems = []
    if not CJK.search(event.action_label):
        problems.append(f"动作未翻译: {event.action_label}")
    if ID_AS_NUMBER.search(event.object_label) or "已删除" in event.object_label:
        problems.append(f"对象显示为编号或找不到: {event.object_label}")
    items = L.payload_items(event.payload, field_labels=L.field_labels_of(event.object_type), object_type=event.object_type)
    data = event.payload_data
    typed = {L.field_labels_of(event.object_type).get(k) or L.PAYLOAD_KEY_LABELS.get(k, k) for k in TYPED_KEYS}
    for label, value in items:
        if label and not CJK.search(label):
            problems.append(f"原始字段名: {label}")
        if ID_AS_NUMBER.search(value):
            problems.append(f"{label}显示为编号: {value}")
        if "已删除" in value:  # the demo deletes nothing: a code was taken for an id
            problems.append(f"{label}找不到对应记录: {value}")
        if label not in typed and any(ENGLISH_CODE.fullmatch(part.strip()) for part in re.split(r"[、;]|等\d+项", value) if part.strip()):
            problems.append(f"{label}为英文代码: {value}")
    for key in ID_KEYS & set(data):
        shown = dict(items).get(L.PAYLOAD_KEY_LABELS.get(key, key))
        if shown is not None and shown.isdigit():
            problems.append(f"{key}显示为编号: {shown}")
    return problems


@pytest.fixture(scope="module")
def demo_events(django_db_setup, django_db_blocker, tmp_path_factory):
    """Every event the demo records through the services, and what a person reads of each."""
    from django.conf import settings
    from django.db import transaction

    from wagewatch.demo import loader
    from wagewatch.history.models import Event, events_name

    with django_db_blocker.unblock():
        media, var, hashers = settings.MEDIA_ROOT, settings.VAR_DIR, settings.PASSWORD_HASHERS
        settings.MEDIA_ROOT, settings.VAR_DIR = tmp_path_factory.mktemp("media"), tmp_path_factory.mktemp("var")
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
        try:
            with transaction.atomic():
                loader.load()
                events = events_name(Event.objects.order_by("seq"))
                read = [(e.action, e.object_label, e.payload_summary, reading_problems(e)) for e in events]
                transaction.set_rollback(True)
        finally:
            settings.MEDIA_ROOT, settings.VAR_DIR, settings.PASSWORD_HASHERS = media, var, hashers
    return read


def test_the_demo_records_many_kinds_of_event(demo_events):
    assert len({action for action, *_ in demo_events}) >= 25


def test_every_event_the_demo_records_reads_in_chinese_with_names(demo_events):
    problems = {}
    for action, obj, summary, found in demo_events:
        if found and action not in problems:
            problems[action] = (obj, summary, found)
    assert not problems, "\n".join(f"{a}: {o} | {s} | {p}" for a, (o, s, p) in problems.items())


def test_the_home_page_names_objects(world, client):
    from django.db import transaction

    from wagewatch.history.services import event_append
    from wagewatch.testing.cases import register

    case = register(world).case
    with transaction.atomic():
        event_append(actor=world.users["office_staff"], action="enterprise.updated", obj=world.enterprises["factory_a"], payload={"changes": {"address": ["旧", "新"]}})
    client.force_login(world.users["office_staff"])
    html = client.get("/").content.decode()
    assert f"案件 {case.number}" in html and "企业 东花服装厂" in html
    assert not re.search(r"(案件|企业|投诉) #\d+", html)

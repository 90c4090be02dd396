"""Timeline partial with Chinese labels, the label registry, the tree-head page and the admin."""

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from wagewatch.history.labels import ACTION_LABELS, field_labels_of, payload_summary, register_action_labels
from wagewatch.history.models import Event
from wagewatch.history.selectors import timeline_for
from wagewatch.history.services import tree_head_publish

from .helpers import append_events


def test_timeline_shows_shanghai_time_actor_chinese_action_and_summary(world, settings):
    from datetime import UTC

    from django.db import transaction

    from wagewatch.history.services import event_append

    enterprise = world.enterprises["factory_a"]
    with transaction.atomic():
        event_append(actor=world.users["office_staff"], action="enterprise.updated", obj=enterprise, payload={"name": "新厂名"})
    events = list(timeline_for(enterprise))
    html = render_to_string("history/timeline.html", {"events": events})
    assert "修改企业信息" in html and "office_staff" in html and "名称: 新厂名" in html
    assert "proofs/inclusion?seq=" in html
    recorded = events[0].recorded_at.astimezone(UTC)
    shanghai_hour = (recorded.hour + 8) % 24
    assert f" {shanghai_hour:02d}:{recorded.minute:02d}:" in html


def test_empty_timeline():
    assert "暂无记录" in render_to_string("history/timeline.html", {"events": []})


def test_seeded_labels_cover_actions_used_in_the_code():
    for action in (
        "enterprise.created",
        "project.participant_added",
        "supervision_threshold.updated",
        "calendar.year_loaded",
        "time_limit.updated",
        "personal_data.revealed",
        "user.created",
        "user.locked",
        "user.unlocked",
    ):
        assert ACTION_LABELS[action] and ACTION_LABELS[action] != action


def test_register_action_labels(db):
    register_action_labels({"incident.reported": "上报突发事件"})
    try:
        assert Event(action="incident.reported").action_label == "上报突发事件"
        assert Event(action="unknown.thing").action_label == "unknown.thing"
    finally:
        ACTION_LABELS.pop("incident.reported")
    import pytest

    with pytest.raises(ValueError):
        register_action_labels({"x.y": ""})


def test_payload_summary_is_short_and_readable():
    assert payload_summary('{"field":"phone","kind":"phone"}') == "字段: phone; 类型: 手机号"
    # Lists show their first items; empty values are left out.
    assert payload_summary('{"ok":true,"items":[1,2,3,4],"none":null,"blank":""}') == "ok: 是; items: 1、2、3等4项"
    long = payload_summary('{"text":"' + "很长" * 100 + '"}')
    assert len(long) == 80 and long.endswith("…")


def test_tree_head_page_is_for_office_roles(client, world):
    append_events(3)
    tree_head_publish()
    url = reverse("history:tree_heads")
    client.force_login(world.users["street_a_handler"])
    assert client.get(url).status_code == 403
    client.force_login(world.users["office_staff"])
    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "签名树头" in text and "verify_history" in text and "Ed25519" in text


def test_admin_is_read_only(client, world):
    append_events(1)
    tree_head_publish()
    client.force_login(world.users["admin"])
    assert client.get(reverse("admin:history_event_changelist")).status_code == 200
    assert client.get(reverse("admin:history_event_add")).status_code == 403
    assert client.get(reverse("admin:history_treehead_changelist")).status_code == 200
    page = client.get(reverse("admin:history_event_change", args=[0]))
    assert page.status_code == 200 and "保存" not in page.content.decode()


def test_summary_names_changed_fields_in_chinese():

    text = payload_summary(
        '{"changes":{"legal_representative":1,"address":2}}', field_labels=field_labels_of("registry.enterprise")
    )
    assert text == "变更: 法定代表人、地址"


def test_unknown_object_type_keeps_raw_keys():
    assert field_labels_of("nosuch.model") == {}


def test_office_publishes_a_tree_head_from_the_page(world, client):
    from wagewatch.history.models import TreeHead

    append_events(3)
    client.force_login(world.users["office_staff"])
    page = client.post(reverse("history:tree_head_publish"), follow=True).content.decode()
    head = TreeHead.objects.get()
    assert f"已发布签名树头:规模 {head.tree_size}" in page
    assert "无需发布" in client.post(reverse("history:tree_head_publish"), follow=True).content.decode()
    client.force_login(world.users["street_a_handler"])
    assert client.post(reverse("history:tree_head_publish")).status_code == 403
    assert TreeHead.objects.count() == 1


def test_event_names_its_object_in_chinese(world):
    enterprise = world.enterprises["factory_a"]
    assert Event(object_type="registry.enterprise", object_id=str(enterprise.pk)).object_label == "企业 东花服装厂"
    assert Event(object_type="registry.enterprise", object_id="999999").object_label == "企业(已删除)"
    assert Event(object_type="nosuch.thing", object_id="1").object_label == "nosuch.thing(已删除)"


def test_codes_and_ids_read_as_words_and_names(world):
    from wagewatch.history.labels import payload_summary as read

    factory = world.enterprises["factory_a"]
    user = world.users["office_staff"]
    # A choice field of the object's model reads by its choice; a foreign key by the row's name.
    assert read({"level": "street"}, object_type="core.territory") == "层级: 街道/乡镇"
    assert read({"organisation": user.organisation_id, "role": "office_staff"}, object_type="core.user") == (
        f"单位: {user.organisation}; 角色: 清欠办工作人员"
    )
    # A key's own codes (an evidence's purpose, a callback's method) beat the shared table.
    assert read({"purpose": "closure", "method": "phone"}, object_type="cases.case") == "用途: 结案凭证(支付凭证等); 方式: 电话回访"
    # An id with a "_label"/"_name" beside it reads by that; a registered reference by its row.
    assert read({"kind": "labour_inspection", "kind_label": "劳动保障监察立案调查"}) == "类型: 劳动保障监察立案调查"
    assert read({"enterprise": factory.pk, "enterprise_name": factory.name}) == f"企业: {factory.name}"
    assert read({"enterprise": factory.pk}) == f"企业: {factory.name}"
    # A code under a relation's name is not an id: it is looked up by the related row's unique code.
    territory = world.territories["street_a"]
    assert read({"territory": territory.code}, object_type="cases.case") == f"辖区: {territory.name}"
    assert read({"territory": territory.pk}, object_type="cases.case") == f"辖区: {territory.name}"
    # Field names of the object read by their verbose names.
    assert read({"field": "complainant_phone", "kind": "phone"}, field_labels=field_labels_of("intake.complaint"), object_type="intake.complaint") == (
        "字段: 投诉人手机号; 类型: 手机号"
    )


def test_an_app_may_not_rename_a_payload_label_another_app_gave():
    from django.core.exceptions import ImproperlyConfigured

    from wagewatch.history.labels import PAYLOAD_KEY_LABELS, register_payload_labels

    with pytest.raises(ImproperlyConfigured, match="changes"):
        register_payload_labels({"changes": "更改明细"})
    assert PAYLOAD_KEY_LABELS["changes"] == "变更"
    register_payload_labels({"changes": "变更"})  # the same name again is fine


def test_a_territory_code_in_a_payload_reads_as_the_territorys_name(world):
    """A case's registration event read "所属辖区: 110105001": a code under a relation keyed by a
    unique code is that row's name; an unknown code stays as it is."""
    from wagewatch.history.labels import payload_items

    street = world.territories["street_a"]
    items = dict(payload_items({"territory": street.code}, object_type="cases.case"))
    assert street.code not in "".join(items.values()) and street.name in "".join(items.values())
    unknown = dict(payload_items({"territory": "999999999"}, object_type="cases.case"))
    assert "999999999" in "".join(unknown.values())

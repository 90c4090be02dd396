"""Editing the loop's rules in the admin is recorded; rules cannot be deleted."""

from wagewatch.cases.models import MajorCaseThreshold, RoutingRule
from wagewatch.history.models import Event
from wagewatch.testing.world import PASSWORD


def test_admin_edit_of_routing_rule_is_recorded(world, client):
    client.login(username="admin", password=PASSWORD)
    rule = RoutingRule.objects.get(priority=100)
    page = client.get(f"/admin/cases/routingrule/{rule.pk}/change/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {name: form.initial.get(name) for name in form.fields}
    data.update(name="其他由属地街道牵头(修订)", industries="[]", investment_types="[]", territory="", lead_organisation="")
    data = {k: ("" if v is None else v) for k, v in data.items()}
    for flag in ("active", "assist_territorial", "copy_industry_authority", "notify_general_contractor"):
        if not data.get(flag):
            data.pop(flag, None)
    response = client.post(f"/admin/cases/routingrule/{rule.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    rule.refresh_from_db()
    assert rule.name.endswith("(修订)")
    event = Event.objects.get(action="routingrule.updated", object_id=str(rule.pk))
    assert "name" in event.payload
    assert client.post(f"/admin/cases/routingrule/{rule.pk}/delete/").status_code == 403


def test_only_one_major_threshold(world, client):
    client.login(username="admin", password=PASSWORD)
    assert MajorCaseThreshold.objects.count() == 1
    assert client.get("/admin/cases/majorcasethreshold/add/").status_code == 403

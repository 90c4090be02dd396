"""The reconciliation API: run a month for one's own projects, read the findings with evidence."""

from datetime import date

import pytest

from wagewatch.payroll import synthetic
from wagewatch.payroll.models import Finding, ReconciliationRun

RUNS = "/api/v1/payroll/reconciliation/runs"


@pytest.fixture
def month(world):
    return synthetic.build(
        month=date(2026, 9, 1), territory=world.territories["street_b"], general_contractor=world.enterprises["contractor_a"],
        clean_projects=1, anomalies=["shortfall"],
    )


def test_labour_manager_reconciles_his_project_and_reads_the_findings(client, world, month):
    client.force_login(world.users["labour_manager"])
    project_id = month.project_ids[1]
    response = client.post(RUNS, {"month": "2026-09", "project_ids": [project_id]}, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "done" and response.json()["findings_count"] == 1
    response = client.get(f"/api/v1/payroll/projects/{project_id}/findings?month=2026-09")
    assert response.status_code == 200
    (finding,) = response.json()
    assert finding["kind"] == "shortfall" and finding["kind_label"] == "少发工资"
    assert finding["amount"] == "1000.00" or float(finding["amount"]) == 1000
    assert len(finding["evidence"]["attendance_ids"]) == 44
    assert finding["worker_name"]
    assert finding["provisional"] is False and finding["month_state_label"] == "已结算"  # September is long settled


def test_outside_his_projects_is_404_and_the_whole_district_is_office_only(client, world, month):
    client.force_login(world.users["labour_manager"])
    road = world.projects["road_a"]
    assert client.post(RUNS, {"month": "2026-09", "project_ids": [road.pk]}, content_type="application/json").status_code == 404
    assert client.get(f"/api/v1/payroll/projects/{road.pk}/findings").status_code == 404
    assert client.post(RUNS, {"month": "2026-09"}, content_type="application/json").status_code == 403
    assert client.get(RUNS).status_code == 403


def test_bad_month_answers_a_chinese_field_error(client, world, month):
    client.force_login(world.users["office_staff"])
    response = client.post(RUNS, {"month": "九月", "project_ids": [month.project_ids[0]]}, content_type="application/json")
    assert response.status_code == 422
    assert "YYYY-MM" in response.content.decode()
    assert not ReconciliationRun.objects.exists() and not Finding.objects.exists()


def test_office_lists_runs(client, world, month):
    client.force_login(world.users["office_staff"])
    client.post(RUNS, {"month": "2026-09", "project_ids": month.project_ids}, content_type="application/json")
    runs = client.get(RUNS).json()
    assert len(runs) == 1 and runs[0]["projects_total"] == 2
    assert client.get(f"{RUNS}/{runs[0]['id']}").json()["status"] == "done"


def test_office_edits_a_threshold_and_the_next_run_uses_it(client, world, month):
    from wagewatch.history.models import Event

    client.force_login(world.users["office_staff"])
    url = "/api/v1/payroll/reconciliation/rules/shortfall"
    response = client.patch(url, {"threshold": "2000"}, content_type="application/json")
    assert response.status_code == 200, response.content
    assert float(response.json()["threshold"]) == 2000
    assert Event.objects.filter(action="payroll.finding_rule_update").count() == 1
    client.post(RUNS, {"month": "2026-09", "project_ids": month.project_ids}, content_type="application/json")
    assert not Finding.objects.filter(kind="shortfall").exists()  # 1,000 short is under 2,000 now
    bad = client.patch(url, {"threshold": "很多", "level": "purple"}, content_type="application/json")
    assert bad.status_code == 422 and "阈值应为数字" in bad.content.decode()
    response = client.patch("/api/v1/payroll/reconciliation/case-opening-rule", {"min_workers_affected": 3}, content_type="application/json")
    assert response.status_code == 200 and response.json()["min_workers_affected"] == 3
    client.force_login(world.users["labour_manager"])
    assert client.patch(url, {"enabled": False}, content_type="application/json").status_code == 403

"""The demo's payroll months: findings, warnings and one case opened by the reconciliation."""

import pytest

from wagewatch.demo import loader
from wagewatch.intake.models import Channel, Complaint
from wagewatch.payroll.models import Finding, PayrollWarning


@pytest.mark.django_db
def test_demo_projects_show_findings_warnings_and_a_reconciliation_case(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    ctx = loader.load()  # its time is measured by bench, not asserted here (a loaded machine is not a failure)
    kinds = set(Finding.objects.filter(status="open").values_list("kind", flat=True))
    assert {"shortfall", "paid_to_other", "no_wage_from_account"} <= kinds
    red = PayrollWarning.objects.filter(level="red", active=True)
    assert red.exists() and all(w.case_id for w in red)
    assert Complaint.objects.filter(channel=Channel.RECONCILIATION).exists()
    # the labour manager's projects carry them
    assert PayrollWarning.objects.filter(project__general_contractor=ctx.contractor_enterprise, active=True).count() >= 3

"""The demo's complaints and cases: every state, every channel, the loop's records, every inbox."""

from collections import Counter

import pytest
from django.db.models import Count

from wagewatch.cases.models import Callback, Case, CaseAssignment, CaseState
from wagewatch.cases.selectors import case_list, unit_inbox
from wagewatch.core.models import Role, User
from wagewatch.demo import loader
from wagewatch.history.models import Event
from wagewatch.intake.models import Channel, Complaint, Evidence


@pytest.fixture
def demo(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return loader.load()


def _escalations_available() -> bool:
    try:
        from wagewatch.cases import escalations  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.django_db
def test_demo_has_cases_in_every_state_from_every_channel_through_the_services(demo):
    states = Counter(Case.objects.values_list("state", flat=True))
    assert set(states) == set(CaseState.values), f"缺少状态:{set(CaseState.values) - set(states)}"
    assert 150 <= Complaint.objects.count() <= 250
    assert set(Complaint.objects.values_list("channel", flat=True)) == set(Channel.values)

    # Repeats are linked and window merges joined, not registered as cases of their own.
    relations = Counter(Complaint.objects.values_list("relation", flat=True))
    assert relations[Complaint.Relation.REPEAT] >= 5 and relations[Complaint.Relation.MERGED] >= 5
    for complaint in Complaint.objects.filter(relation=Complaint.Relation.REPEAT).select_related("case"):
        origin = complaint.case.complaints.get(relation=Complaint.Relation.ORIGIN)
        assert origin.complainant_phone_digest == complaint.complainant_phone_digest
    merged = Case.objects.filter(state=CaseState.MERGED)
    assert all(c.merged_into_id and not c.complaints.exists() for c in merged)
    assert Case.objects.annotate(n=Count("complaints")).filter(n__gte=2).exists()

    # Closed cases went all the way round: paid, evidence, a confirming callback.
    closed = Case.objects.filter(state=CaseState.CLOSED)
    assert closed.count() >= 30
    for case in closed:
        assert case.amount_paid and case.workers_paid
        assert case.evidence.filter(purpose=Evidence.Purpose.CLOSURE).exists()
        assert case.callbacks.order_by("-called_at", "-pk").first().confirms_resolution
    assert Callback.objects.filter(resolved=False).exists(), "应有回访未解决而重新办理的案件"
    assert Case.objects.filter(state=CaseState.RETURNED, lead_organisation__isnull=True).exists()
    assert CaseAssignment.objects.filter(end_reason__startswith="退回").count() > Case.objects.filter(state=CaseState.RETURNED).count(), (
        "应有退回后重新转办的案件"
    )

    # Major cases with a leader; answered clues; overdue deadlines on the office's list.
    assert Case.objects.filter(is_major=True, major_leader__isnull=False).count() >= 3
    assert Case.objects.filter(clue_outcome__isnull=False, complaints__channel=Channel.NATIONAL_PLATFORM).exists()
    office = User.objects.get(username="office_staff")
    overdue = case_list(office, overdue=True).count()
    assert 0 < overdue < case_list(office, state="open").count() / 2

    # Every unit with a login has work waiting in its inbox.
    unit_roles = {Role.UNIT_HANDLER, Role.UNIT_LEADER, Role.LABOUR_INSPECTOR, Role.PROJECT_LABOUR_MANAGER}
    skip = set() if _escalations_available() else {"police_handler", "court_handler"}
    empty = [u.username for u in User.objects.filter(role__in=unit_roles).exclude(username__in=skip) if not unit_inbox(u).exists()]
    assert not empty, f"这些用户的待办为空:{empty}"

    # Every case and complaint came through the services: each has its history, without clear phones.
    assert Event.objects.filter(action="case.registered").count() == Case.objects.count()
    assert Event.objects.filter(action="complaint.registered").count() == Complaint.objects.count()
    for complaint in Complaint.objects.all()[:40]:
        payloads = Event.objects.filter(object_id=str(complaint.case_id), object_type="cases.case").values_list("payload", flat=True)
        assert all(complaint.complainant_phone not in str(p) for p in payloads)

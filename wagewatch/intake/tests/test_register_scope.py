"""Writes across scope in intake (issue 9): a self-service complaint (the phone proven by SMS,
everything else typed) joins an open case as a repeat only through the proven phone. Typing
someone else's ID number, or listing his phone as a co-worker, never puts the complaint into his
case (which would give the typist that case's pages and its SMS)."""

from __future__ import annotations

from wagewatch.cases.models import Case
from wagewatch.intake.models import Channel, Complaint
from wagewatch.intake.services import WorkerInput
from wagewatch.testing.cases import register

VICTIM_PHONE, VICTIM_ID = "13911112222", "11010519491231002X"
STRANGER_PHONE = "13933334444"


def test_a_typed_id_number_does_not_join_a_strangers_case(world):
    victim = register(world, complainant_phone=VICTIM_PHONE, complainant_id_number=VICTIM_ID).case
    other = register(world, channel=Channel.WORKER_PHONE, actor=None, complainant_phone=STRANGER_PHONE, complainant_id_number=VICTIM_ID)
    assert other.case.pk != victim.pk and other.case_created
    assert not Complaint.objects.filter(case=victim, complainant_phone_digest=other.complaint.complainant_phone_digest).exists()


def test_a_typed_coworker_phone_does_not_join_a_strangers_case(world):
    victim = register(world, complainant_phone=VICTIM_PHONE).case
    other = register(world, channel=Channel.WORKER_PHONE, actor=None, complainant_phone=STRANGER_PHONE, workers=[WorkerInput(name="某某", phone=VICTIM_PHONE)])
    assert other.case.pk != victim.pk
    assert Case.objects.count() == 2


def test_the_same_proven_phone_still_repeats_its_case(world):
    first = register(world, channel=Channel.WORKER_PHONE, actor=None, complainant_phone=VICTIM_PHONE).case
    again = register(world, channel=Channel.WORKER_PHONE, actor=None, complainant_phone=VICTIM_PHONE)
    assert again.case.pk == first.pk and again.complaint.relation == Complaint.Relation.REPEAT
    # listed as a co-worker on a window complaint: his own phone complaint repeats that case too
    listed = register(world, complainant_phone="13955556666", workers=[WorkerInput(name="李四", phone="13977778888")]).case
    own = register(world, channel=Channel.WORKER_PHONE, actor=None, complainant_phone="13977778888")
    assert own.case.pk == listed.pk

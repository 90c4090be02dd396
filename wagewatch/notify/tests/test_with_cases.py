"""The real case lifecycle tells the complainant of each change (the contract of case_transitioned)."""

import pytest

from wagewatch.cases.models import CaseState
from wagewatch.notify.models import WorkerMessage
from wagewatch.testing.cases import register, walk_to

pytestmark = pytest.mark.django_db


def test_each_transition_of_a_real_case_writes_one_message_per_complainant(world):
    case = walk_to(world, register(world).case, CaseState.HANDLING)
    messages = list(WorkerMessage.objects.order_by("pk"))
    states = [m.to_state for m in messages]
    assert states[-1] == "handling" and "dispatched" in states
    assert len(states) == len(set(states))  # one complainant: one message per change
    for message in messages:
        assert message.case_number == case.number and case.number in message.text
        assert message.text.startswith("【根治欠薪】") and message.text.endswith("/w/track/")
        assert message.phone in case.complainant_phones()

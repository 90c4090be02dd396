"""Helpers for tests that need complaints and cases (built on the `world` fixture).

    result = register(world)                          # window complaint about factory A, street A
    case = dispatch(world, result.case)               # by the routing rules
    case = walk_to(world, case, CaseState.RESOLVED)   # through the lifecycle services
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from wagewatch.cases import services as cs
from wagewatch.cases.models import Case, CaseState
from wagewatch.intake.models import Channel, Evidence
from wagewatch.intake.services import ComplaintInput, RegistrationResult, complaint_register

# A minimal valid PNG (1x1 pixel).
PNG_BYTES = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)

_phone_seq = [0]


def next_phone() -> str:
    _phone_seq[0] += 1
    return f"1390000{_phone_seq[0]:04d}"


def complaint_input(world, **overrides) -> ComplaintInput:
    data = dict(
        complainant_name="张三",
        complainant_phone=next_phone(),
        employer_name=world.enterprises["factory_a"].name,
        employer_credit_code=world.enterprises["factory_a"].credit_code,
        worker_count=3,
        amount_owed=Decimal("18000"),
        period_start="2026-08-01",
        period_end="2026-10-31",
        description="三个月工资未发",
    )
    data.update(overrides)
    return ComplaintInput(**data)


def register(world, *, actor=None, channel=Channel.WINDOW, received_at: datetime | None = None, dispatch=False, **overrides) -> RegistrationResult:
    return complaint_register(
        actor=actor or world.users["clerk"],
        channel=channel,
        data=complaint_input(world, **overrides),
        received_at=received_at,
        dispatch=dispatch,
    )


def dispatch(world, case: Case, **kwargs) -> Case:
    kwargs.setdefault("responsible_leader", "李主任")
    return cs.case_dispatch(actor=world.users["clerk"], case=case, **kwargs)


def unit_user(world, case: Case):
    """A handler of the case's lead unit from the world."""
    for user in world.users.values():
        if user.organisation_id == case.lead_organisation_id and user.role in cs.UNIT_ROLES:
            return user
    raise LookupError(f"world has no handler for {case.lead_organisation}")


def closure_evidence(case: Case, actor) -> Evidence:
    from wagewatch.intake.services import evidence_add

    return evidence_add(
        actor=actor,
        case=case,
        uploaded_file=SimpleUploadedFile("pay.png", PNG_BYTES, content_type="image/png"),
        purpose=Evidence.Purpose.CLOSURE,
        description="银行代发流水",
    )


def walk_to(world, case: Case, target: str) -> Case:
    """Move a registered case along the happy path until it reaches `target`."""
    order = [
        CaseState.REGISTERED,
        CaseState.DISPATCHED,
        CaseState.ACCEPTED,
        CaseState.VERIFYING,
        CaseState.HANDLING,
        CaseState.RESOLVED,
        CaseState.CALLED_BACK,
        CaseState.CLOSED,
    ]
    office = world.users["office_staff"]
    while case.state != target:
        state = case.state
        if state == CaseState.REGISTERED:
            case = dispatch(world, case)
        elif state == CaseState.DISPATCHED:
            case = cs.case_accept(actor=unit_user(world, case), case=case)
        elif state == CaseState.ACCEPTED:
            case = cs.case_verification_start(actor=unit_user(world, case), case=case)
        elif state == CaseState.VERIFYING:
            case = cs.case_facts_confirm(
                actor=unit_user(world, case), case=case, amount_verified=case.amount_owed, workers_verified=case.worker_count, facts_clear=True
            )
        elif state == CaseState.HANDLING:
            closure_evidence(case, unit_user(world, case))
            case = cs.case_resolve(
                actor=unit_user(world, case), case=case, amount_paid=case.amount_owed, workers_paid=case.worker_count, summary="已足额支付"
            )
        elif state == CaseState.RESOLVED:
            cs.case_callback_record(actor=office, case=case, resolved=True, paid_in_full=True, lawful=True, satisfied=True)
            case.refresh_from_db()
        elif state == CaseState.CALLED_BACK:
            case = cs.case_close(actor=office, case=case)
        else:
            raise ValueError(f"cannot walk from {state}")
        if order.index(case.state) <= order.index(state):
            raise AssertionError(f"walk_to stuck at {case.state}")
    return case

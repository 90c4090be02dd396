"""The closed loop end to end through the services (the states before closure evidence)."""

from wagewatch.cases.models import CaseAssignment, CaseState
from wagewatch.history.models import Event
from wagewatch.testing.cases import dispatch, register, walk_to


def test_window_registration_opens_case_with_deadlines_and_history(world):
    result = register(world)
    case = result.case
    assert result.case_created and case.state == CaseState.REGISTERED
    assert case.number.startswith("AJ") and result.complaint.number.startswith("TS")
    kinds = set(case.deadlines.values_list("kind", "status"))
    assert ("first_contact", "met") in kinds and ("close", "open") in kinds
    assert case.next_due_at is not None
    assert Event.objects.filter(object_id=str(case.pk), action="case.registered").exists()


def test_factory_case_routes_to_territorial_street(world):
    case = dispatch(world, register(world).case)
    assert case.state == CaseState.DISPATCHED
    assert case.lead_organisation == world.organisations["street_a"]
    lead = case.assignments.get(role=CaseAssignment.Role.LEAD, active=True)
    assert lead.order_number.startswith("ZB") and lead.responsible_leader == "李主任"


def test_housing_project_routes_to_housing_with_street_assisting(world):
    project = world.projects["housing_b"]
    case = dispatch(world, register(world, project_id=project.pk, employer_name="西城花园劳务班组", employer_credit_code="").case)
    assert case.lead_organisation == world.organisations["housing"]
    roles = {(a.organisation.name, a.role) for a in case.assignments.filter(active=True)}
    assert (world.organisations["street_b"].name, "assisting") in roles
    assert (world.organisations["contractor_a"].name, "notified") in roles


def test_walk_to_handling(world):
    case = walk_to(world, register(world).case, CaseState.HANDLING)
    assert case.facts_clear_at is not None
    assert case.deadlines.filter(kind="advance_payment_trigger", status="open").exists()


def test_repeat_complaint_is_linked_not_registered_again(world):
    first = register(world, complainant_phone="13900001111")
    again = register(world, complainant_phone="13900001111")
    assert not again.case_created and again.case.pk == first.case.pk
    assert again.complaint.relation == "repeat"

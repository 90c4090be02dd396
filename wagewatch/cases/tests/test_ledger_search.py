"""Issue 9: the clerk finds a case by the complainant's name, phone, ID number or complaint number
in the ledger's one search box, always within the user's scope."""

from __future__ import annotations

import pytest
from django.urls import reverse
from stdnum.cn import ric

from wagewatch.cases.selectors import case_list
from wagewatch.intake.services import WorkerInput
from wagewatch.testing.cases import dispatch, register

LIST = reverse("cases:list")


def id_number(seq: int) -> str:
    body = f"110105198801{seq:02d}{seq:03d}"
    return next(body + c for c in "0123456789X" if ric.is_valid(body + c))


@pytest.fixture
def cases(world):
    factory_b = world.enterprises["factory_b"]
    a = dispatch(
        world,
        register(
            world, complainant_name="王小红", complainant_phone="13811112222", complainant_id_number=id_number(11),
            workers=[WorkerInput(name="赵大山", phone="13633334444", id_number=id_number(12))], worker_count=2,
        ).case,
    )
    b = dispatch(
        world,
        register(
            world, complainant_name="王小红", complainant_phone="13955556666", employer_name=factory_b.name,
            employer_credit_code=factory_b.credit_code,
        ).case,
    )
    other = register(world, complainant_name="李四", complainant_phone="13700009999").case
    return {"a": a, "b": b, "other": other}


def found(user, q) -> set[str]:
    return set(case_list(user, q=q).values_list("number", flat=True))


def test_by_complaint_number_and_case_number(world, cases):
    clerk = world.users["clerk"]
    complaint = cases["a"].complaints.get()
    assert complaint.number.startswith("TS")
    assert found(clerk, complaint.number) == {cases["a"].number}
    assert found(clerk, complaint.number.lower()) == {cases["a"].number}
    assert found(clerk, cases["b"].number) == {cases["b"].number}


def test_by_complainant_or_worker_name(world, cases):
    clerk = world.users["clerk"]
    assert found(clerk, "王小红") == {cases["a"].number, cases["b"].number}
    assert found(clerk, " 赵大山 ") == {cases["a"].number}
    assert found(clerk, "李四") == {cases["other"].number}
    assert found(clerk, "王小") == set()  # a person's name matches exactly, not by part


def test_by_phone_with_spaces_or_dashes(world, cases):
    clerk = world.users["clerk"]
    assert found(clerk, "13811112222") == {cases["a"].number}
    assert found(clerk, "138 1111 2222") == {cases["a"].number}
    assert found(clerk, "138-1111-2222") == {cases["a"].number}
    assert found(clerk, "13633334444") == {cases["a"].number}  # a named worker's phone
    assert found(clerk, "13955556666") == {cases["b"].number}
    assert found(clerk, "13800000000") == set()


def test_by_id_number(world, cases):
    clerk = world.users["clerk"]
    assert found(clerk, id_number(11)) == {cases["a"].number}
    assert found(clerk, id_number(12).lower()) == {cases["a"].number}
    assert found(clerk, id_number(13)) == set()


def test_the_employer_and_project_search_still_works(world, cases):
    clerk = world.users["clerk"]
    assert found(clerk, "西花电子") == {cases["b"].number}
    assert cases["a"].number in found(clerk, "东花")


def test_nothing_out_of_scope_is_found(world, cases):
    # Street B's handler has no part in these street A cases: no query finds them.
    outsider = world.users["street_b_handler"]
    complaint = cases["a"].complaints.get()
    for q in ("王小红", "13811112222", id_number(11), complaint.number, cases["a"].number, "赵大山", "13633334444"):
        assert cases["a"].number not in found(outsider, q), q
    # The lead unit finds its own case, not the undispatched one of the same district.
    handler = world.users["street_a_handler"]
    assert found(handler, "王小红") == {cases["a"].number}
    assert found(handler, "李四") == set()


def test_the_search_box_on_the_page(world, client, cases):
    client.force_login(world.users["clerk"])
    page = client.get(LIST).content.decode()
    assert "投诉人姓名、电话、身份证号" in page
    html = client.get(LIST, {"q": "138 1111 2222"}).content.decode()
    assert cases["a"].number in html and cases["b"].number not in html and cases["other"].number not in html
    client.force_login(world.users["street_b_handler"])
    html = client.get(LIST, {"q": "13811112222"}).content.decode()
    assert cases["a"].number not in html

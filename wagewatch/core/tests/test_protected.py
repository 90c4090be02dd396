"""Protected personal data: encrypted at rest, found by keyed hash, masked, reveals recorded."""

import pytest
from cryptography.exceptions import InvalidTag
from django.core.exceptions import FieldError, PermissionDenied, ValidationError
from django.db import connection

from wagewatch.core.protected import (
    BANK_CARD,
    ID_NUMBER,
    PHONE,
    lookup_digest,
    mask,
    may_reveal,
    validate_bank_card,
    validate_id_number,
    validate_phone,
)
from wagewatch.core.services import personal_data_reveal
from wagewatch.history.models import Event
from wagewatch.registry.models import Enterprise

ID = "11010519491231002X"
PHONE_NUMBER = "13812345678"


@pytest.fixture
def factory(world):
    enterprise = world.enterprises["factory_a"]
    enterprise.legal_representative_id_number = ID.lower()  # normalised on the way in
    enterprise.contact_phone = "138 1234 5678"
    enterprise.save()
    return enterprise


def raw_columns(pk):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT legal_representative_id_number, legal_representative_id_number_digest, contact_phone "
            "FROM registry_enterprise WHERE id = %s",
            [pk],
        )
        return cursor.fetchone()


def test_stored_as_ciphertext_and_read_back_in_clear(factory):
    stored_id, digest, stored_phone = raw_columns(factory.pk)
    assert stored_id.startswith("v1:") and ID not in stored_id and "1949" not in stored_id
    assert stored_phone.startswith("v1:") and PHONE_NUMBER not in stored_phone
    assert digest == lookup_digest(ID_NUMBER, ID)
    fresh = Enterprise.objects.get(pk=factory.pk)
    assert fresh.legal_representative_id_number == ID
    assert fresh.contact_phone == PHONE_NUMBER


def test_same_value_encrypts_differently_each_time(factory, world):
    other = world.enterprises["factory_b"]
    other.legal_representative_id_number = ID
    other.save()
    assert raw_columns(factory.pk)[0] != raw_columns(other.pk)[0]
    assert raw_columns(factory.pk)[1] == raw_columns(other.pk)[1]


def test_found_by_exact_value_through_the_keyed_hash(factory):
    found = Enterprise.objects.filter(legal_representative_id_number_digest=lookup_digest(ID_NUMBER, "11010519491231002x"))
    assert list(found) == [factory]
    assert not Enterprise.objects.filter(contact_phone_digest=lookup_digest(PHONE, "13812345679")).exists()
    # A phone and an ID number with the same digits never collide: the kind is in the hash.
    assert lookup_digest(PHONE, "13812345678") != lookup_digest(BANK_CARD, "13812345678")


def test_equality_on_the_ciphertext_column_is_refused(factory):
    with pytest.raises(FieldError):
        list(Enterprise.objects.filter(legal_representative_id_number=ID))


def test_key_lives_outside_the_database(factory, settings):
    settings.FIELD_ENCRYPTION_KEY = "another-key-entirely"
    from wagewatch.core import protected

    protected._aead.cache_clear()
    try:
        with pytest.raises(InvalidTag):
            Enterprise.objects.get(pk=factory.pk)
    finally:
        protected._aead.cache_clear()


def test_masks():
    assert mask(ID_NUMBER, ID) == "110***********002X"
    assert mask(PHONE, PHONE_NUMBER) == "138****5678"
    assert mask(BANK_CARD, "6222021234567890123") == "**** **** **** 0123"
    assert mask(PHONE, "") == ""


def test_validators_say_what_to_fix():
    assert validate_id_number(" 11010519491231002x ") == ID
    with pytest.raises(ValidationError, match="校验码"):
        validate_id_number("110105194912310021")
    assert validate_phone("138-1234-5678") == PHONE_NUMBER
    with pytest.raises(ValidationError, match="手机号"):
        validate_phone("2381234567")
    with pytest.raises(ValidationError, match="银行卡号"):
        validate_bank_card("6222abc")


def test_reveal_by_a_role_that_may_is_recorded_without_the_value(factory, world):
    leader = world.users["office_leader"]
    assert may_reveal(leader, ID_NUMBER)
    assert personal_data_reveal(actor=leader, obj=factory, field_name="legal_representative_id_number") == ID
    event = Event.objects.filter(action="personal_data.revealed").get()
    assert event.actor_id == leader.pk and event.object_id == str(factory.pk)
    assert ID not in event.payload and "1949" not in event.payload


def test_reveal_by_a_role_that_may_not_is_refused_and_not_recorded(factory, world):
    staff = world.users["street_a_handler"]
    assert not may_reveal(staff, ID_NUMBER)
    with pytest.raises(PermissionDenied, match="身份证号"):
        personal_data_reveal(actor=staff, obj=factory, field_name="legal_representative_id_number")
    assert not Event.objects.filter(action="personal_data.revealed").exists()


def test_api_answers_masked_values(factory, world, client):
    client.force_login(world.users["office_leader"])
    body = client.get(f"/api/v1/enterprises/{factory.pk}").json()
    text = str(body)
    assert ID not in text and PHONE_NUMBER not in text
    assert "110***********002X" in text
    revealed = client.post(f"/api/v1/enterprises/{factory.pk}/reveal/legal_representative_id_number")
    assert revealed.status_code == 200 and revealed.json()["value"] == ID

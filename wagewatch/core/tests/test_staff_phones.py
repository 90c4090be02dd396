"""Staff phones are protected like workers' (issue 9): users' and organisations' phones are
encrypted at rest with a digest, masked on pages, in the API and in exports, revealed only to a
role that may see phones and every reveal recorded; the admin never shows them in full; existing
plain-text values are encrypted by the migration; readers (letters, reconciliation cases) still get
the number."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from wagewatch.core.models import Organisation, User
from wagewatch.core.protected import PHONE, lookup_digest
from wagewatch.history.models import Event

STAFF_PHONE = "13812345678"
OFFICE_PHONE = "01086123456"


def _raw(table: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT phone FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


@pytest.fixture
def phones(world):
    clerk, office = world.users["clerk"], world.organisations["office"]
    clerk.phone = STAFF_PHONE
    clerk.save()
    office.phone = "010-8612-3456"
    office.save()
    return clerk, office


def test_encrypted_at_rest_and_found_by_digest(phones):
    clerk, office = phones
    assert STAFF_PHONE not in _raw("core_user", clerk.pk) and _raw("core_user", clerk.pk).startswith("v1:")
    assert "8612" not in _raw("core_organisation", office.pk)
    assert User.objects.get(phone_digest=lookup_digest(PHONE, STAFF_PHONE)) == clerk
    assert Organisation.objects.get(pk=office.pk).phone == OFFICE_PHONE  # the readers get the number


def test_pages_and_api_mask_the_office_phone(client, world, phones):
    _, office = phones
    client.force_login(world.users["office_staff"])
    page = client.get(reverse("core:organisation_detail", args=[office.pk])).content.decode()
    assert OFFICE_PHONE not in page and "010-8612-3456" not in page and "****" in page
    api = client.get(f"/api/v1/organisations/{office.pk}").content.decode()
    assert OFFICE_PHONE not in api and "8612" not in api


@pytest.mark.parametrize(
    ("who", "allowed"), [("office_staff", True), ("office_leader", True), ("tax_feed", False), ("admin", False)]
)
def test_reveal_is_for_roles_that_may_see_phones_and_recorded(client, world, phones, who, allowed):
    clerk, office = phones
    client.force_login(world.users[who])
    for url, value, obj in (
        (reverse("core:user_phone_reveal", args=[clerk.pk]), STAFF_PHONE, clerk),
        (reverse("core:organisation_phone_reveal", args=[office.pk]), OFFICE_PHONE, office),
    ):
        response = client.post(url)
        if not allowed:
            assert response.status_code in (302, 403, 404) and value not in response.content.decode()  # 302: an API-only user is sent to sign in
            continue
        assert response.status_code == 200 and value in response.content.decode()
        assert Event.objects.filter(action="personal_data.revealed", object_id=str(obj.pk), actor_id=world.users[who].pk).exists()


def test_admin_shows_a_mask_and_keeps_the_phone_when_left_empty(client, world, phones):
    clerk, office = phones
    client.force_login(world.users["admin"])
    page = client.get(f"/admin/core/user/{clerk.pk}/change/").content.decode()
    assert STAFF_PHONE not in page and "138****5678" in page
    page = client.get(f"/admin/core/organisation/{office.pk}/change/").content.decode()
    assert OFFICE_PHONE not in page and "8612" not in page
    form = {
        "name": office.name, "short_name": office.short_name, "kind": office.kind, "industry": office.industry,
        "territory": office.territory_id, "leader_name": office.leader_name, "phone": "", "is_active": "on",
    }
    response = client.post(f"/admin/core/organisation/{office.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Organisation.objects.get(pk=office.pk).phone == OFFICE_PHONE
    client.post(f"/admin/core/organisation/{office.pk}/change/", {**form, "phone": "010-86000000"})
    assert Organisation.objects.get(pk=office.pk).phone == "01086000000"


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_existing_plain_phones(world):
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate([("core", "0006_login_throttle")])
    clerk, office = world.users["clerk"], world.organisations["office"]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core_user SET phone = %s WHERE id = %s", ["138 1234 5678", clerk.pk])
        cursor.execute("UPDATE core_organisation SET phone = %s WHERE id = %s", ["010-86123456", office.pk])
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert _raw("core_user", clerk.pk).startswith("v1:") and _raw("core_organisation", office.pk).startswith("v1:")
    assert User.objects.get(pk=clerk.pk).phone == STAFF_PHONE
    assert User.objects.get(phone_digest=lookup_digest(PHONE, STAFF_PHONE)).pk == clerk.pk
    assert Organisation.objects.get(pk=office.pk).phone == OFFICE_PHONE

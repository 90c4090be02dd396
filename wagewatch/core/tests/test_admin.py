"""Django admin: administrators only, sign-in through the lockout login, writes recorded."""

import pytest
from django.urls import reverse

from wagewatch.core.auth import api_token_create
from wagewatch.core.models import ApiToken, Territory
from wagewatch.history.models import Event


def test_anonymous_goes_to_the_platform_login(client, db):
    response = client.get("/admin/")
    assert response.status_code == 302
    login = client.get(response["Location"])
    assert login.status_code == 302 and login["Location"].startswith("/login/?next=")


@pytest.mark.parametrize("who", ["office_leader", "office_staff", "clerk"])
def test_non_administrators_are_refused(world, client, who):
    client.force_login(world.users[who])
    for url in ("/admin/", "/admin/core/user/", f"/admin/core/user/{world.users['admin'].pk}/change/"):
        response = client.get(url, follow=True)
        assert response.status_code == 403, url
        assert "无权访问" in response.content.decode()


def test_the_data_provider_has_no_session_to_reach_the_admin_with(world, client):
    client.force_login(world.users["tax_feed"])
    response = client.get("/admin/core/user/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert "_auth_user_id" not in client.session


def test_staff_flag_alone_is_not_enough(world, client):
    user = world.users["office_leader"]
    user.is_staff = user.is_superuser = True
    user.save()
    client.force_login(user)
    assert client.get("/admin/", follow=True).status_code == 403


def test_administrator_sees_chinese_admin(world, client):
    client.force_login(world.users["admin"])
    for url in ("/admin/", "/admin/core/territory/", "/admin/core/organisation/", "/admin/core/user/", "/admin/core/apitoken/"):
        assert client.get(url).status_code == 200, url
    text = client.get(f"/admin/core/user/{world.users['clerk'].pk}/change/").content.decode()
    assert "角色与范围" in text and "所属单位" in text


def test_admin_edit_is_recorded(world, client):
    client.force_login(world.users["admin"])
    grid = world.territories["grid_a"]
    response = client.post(
        f"/admin/core/territory/{grid.pk}/change/",
        {"code": grid.code, "name": "东花一网格", "level": "grid", "parent": grid.parent_id},
    )
    assert response.status_code == 302
    assert Territory.objects.get(pk=grid.pk).name == "东花一网格"
    event = Event.objects.get(action="territory.changed", object_id=str(grid.pk))
    assert event.actor_id == world.users["admin"].pk and '"name"' in event.payload


def test_token_hash_is_read_only_and_revocation_is_recorded(world, client):
    api_token_create(user=world.users["tax_feed"], name="税务推送")
    token = ApiToken.objects.get()
    client.force_login(world.users["admin"])
    page = client.get(f"/admin/core/apitoken/{token.pk}/change/").content.decode()
    assert token.token_hash in page and 'name="token_hash"' not in page
    assert client.get(reverse("admin:core_apitoken_add")).status_code == 403
    response = client.post(
        reverse("admin:core_apitoken_changelist"), {"action": "revoke", "_selected_action": [token.pk]}
    )
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert Event.objects.filter(action="api_token.revoked", object_id=str(token.pk)).count() == 1


def test_administrator_adds_a_user_and_it_is_recorded(world, client):
    from wagewatch.core.models import User

    client.force_login(world.users["admin"])
    response = client.post(
        reverse("admin:core_user_add"),
        {
            "username": "new_clerk",
            "password1": "Lan-Qiao-2027#x",
            "password2": "Lan-Qiao-2027#x",
            "usable_password": "true",
            "full_name": "新受理员",
            "role": "window_clerk",
            "organisation": world.organisations["mediation"].pk,
            "territory": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(username="new_clerk")
    assert user.role == "window_clerk" and user.password_changed_at is not None
    event = Event.objects.get(action="user.created", object_id=str(user.pk))
    assert "Lan-Qiao" not in event.payload


def test_administrator_resets_a_password_and_it_is_recorded(world, client):
    from wagewatch.core.models import User

    target = world.users["clerk"]
    client.force_login(world.users["admin"])
    response = client.post(
        reverse("admin:auth_user_password_change", args=[target.pk]),
        {"password1": "Lan-Qiao-2027#x", "password2": "Lan-Qiao-2027#x", "usable_password": "true"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert User.objects.get(pk=target.pk).check_password("Lan-Qiao-2027#x")
    event = Event.objects.get(action="user.password_changed", object_id=str(target.pk))
    assert event.actor_id == world.users["admin"].pk and "Lan-Qiao" not in event.payload

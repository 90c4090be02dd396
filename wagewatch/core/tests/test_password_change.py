"""Every user can change their password; the rules answer in Chinese; the change is recorded."""

import pytest
from django.urls import reverse

from wagewatch.core.models import User
from wagewatch.history.models import Event
from wagewatch.testing.world import PASSWORD

NEW = "Lan-Qiao-2027#x"


def change(client, old, new1, new2=None):
    return client.post(
        reverse("core:password_change"), {"old_password": old, "new_password1": new1, "new_password2": new2 or new1}
    )


@pytest.mark.parametrize("who", ["street_a_handler", "clerk", "admin"])
def test_any_user_changes_their_password_and_stays_signed_in(world, client, who):
    user = world.users[who]
    client.force_login(user)
    assert "修改密码" in client.get(reverse("core:password_change")).content.decode()
    response = change(client, PASSWORD, NEW)
    assert response.status_code == 302
    user = User.objects.get(pk=user.pk)
    assert user.check_password(NEW)
    assert user.password_changed_at is not None
    assert client.get(reverse("core:home")).status_code == 200  # session hash updated
    event = Event.objects.get(action="user.password_changed", object_id=str(user.pk))
    assert NEW not in event.payload and "password" not in event.payload.replace("password_changed", "")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("wrong-old", NEW, "原密码不正确"),
        (PASSWORD, "Ab1!x", "密码太短:至少需要 10 个字符"),
        (PASSWORD, "abcdefghijkl", "至少三类"),
        (PASSWORD, "12345678901234", "密码不能全是数字"),
        (PASSWORD, PASSWORD, "不能与原密码相同"),
    ],
)
def test_bad_passwords_are_refused_in_chinese(world, client, old, new, message):
    user = world.users["clerk"]
    client.force_login(user)
    response = change(client, old, new)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert User.objects.get(pk=user.pk).check_password(PASSWORD)
    assert not Event.objects.filter(action="user.password_changed").exists()


def test_mismatched_confirmation(world, client):
    client.force_login(world.users["clerk"])
    response = change(client, PASSWORD, NEW, NEW + "x")
    assert "两次输入的新密码不一致" in response.content.decode()


def test_rules_are_listed_on_the_page(world, client):
    client.force_login(world.users["clerk"])
    text = client.get(reverse("core:password_change")).content.decode()
    assert "至少三类" in text and "10" in text


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(reverse("core:password_change"))
    assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.parametrize(
    ("password", "message"),
    [("Password1!", "过于常见"), ("Zhangsanfeng1!", "过于相似")],
)
def test_common_and_similar_passwords_in_chinese(db, password, message):
    from django.core.exceptions import ValidationError

    from wagewatch.core.passwords import validate_password

    user = User(username="zhangsanfeng", full_name="zhangsanfeng", role="window_clerk")
    with pytest.raises(ValidationError) as info:
        validate_password(password, user)
    assert any(message in m for m in info.value.messages)


def test_user_create_refuses_weak_password_in_chinese(world):
    from django.core.exceptions import ValidationError

    from wagewatch.core.services import user_create

    with pytest.raises(ValidationError) as info:
        user_create(actor=world.users["admin"], username="newbie", password="short", role="window_clerk", organisation=None)
    assert "密码太短" in " ".join(info.value.messages)
    assert not User.objects.filter(username="newbie").exists()

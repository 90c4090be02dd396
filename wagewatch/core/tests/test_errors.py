"""Error pages speak Chinese and never leak."""

from django.test import RequestFactory

from wagewatch.core import views


def test_404_page_is_chinese(world, client):
    client.force_login(world.users["clerk"])
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    text = response.content.decode()
    assert "未找到" in text and "返回首页" in text


def test_404_for_anonymous_offers_login(client, db):
    text = client.get("/no-such-page/").content.decode()
    assert "登录" in text


def test_403_page_carries_the_reason(world, client):
    client.force_login(world.users["street_a_leader"])
    response = client.post(f"/users/{world.users['street_a_handler'].pk}/unlock/")
    assert response.status_code == 403
    assert "只有系统管理员或清欠办领导可以解锁账户" in response.content.decode()


def test_500_page_survives_without_a_user(db):
    request = RequestFactory().get("/")
    response = views.server_error(request)
    assert response.status_code == 500
    assert "系统错误" in response.content.decode()

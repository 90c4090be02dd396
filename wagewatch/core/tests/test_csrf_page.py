"""A form posted without a valid CSRF token gets a Chinese page saying what to do."""

from django.test import Client


def test_staff_and_worker_csrf_pages_are_chinese(db):
    client = Client(enforce_csrf_checks=True)
    staff = client.post("/login/", {"username": "x", "password": "y"})
    assert staff.status_code == 403 and "页面已过期" in staff.content.decode()
    worker = client.post("/w/track/", {"number": "AJ1", "phone": "13900000000"})
    assert worker.status_code == 403 and "返回首页" in worker.content.decode()

"""load_demo, create_api_token and run_embedded's guards."""

import io
import socket

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.db import transaction
from stdnum.cn import ric, uscc

from wagewatch.core.models import ApiToken, Organisation, Role, Territory, User
from wagewatch.demo import loader
from wagewatch.demo.base import DEMO_PASSWORD
from wagewatch.history.models import Event
from wagewatch.registry.models import Enterprise, Project, ProjectParticipant


@pytest.fixture
def fast_demo(settings, tmp_path):
    # The demo token file goes to a throwaway var dir, never over the developer's own.
    settings.VAR_DIR = tmp_path
    settings.MEDIA_ROOT = tmp_path / "media"  # evidence files of the demo cases, likewise
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return tmp_path


class _Rollback(Exception):
    pass


def _fingerprint() -> list:
    return [
        sorted(Territory.objects.values_list("code", "name")),
        sorted(Organisation.objects.values_list("name", "kind")),
        sorted(Enterprise.objects.values_list("name", "credit_code", "industry", "employee_count")),
        sorted(Project.objects.values_list("code", "name", "contract_value", "planned_start", "planned_end", "status")),
        sorted(ProjectParticipant.objects.values_list("project__code", "enterprise__name", "role", "contract_value")),
        sorted(User.objects.values_list("username", "role", "organisation__name")),
    ]


@pytest.mark.django_db
def test_load_demo_builds_a_deterministic_district_through_the_services(fast_demo):
    try:
        with transaction.atomic():
            call_command("load_demo", stdout=io.StringIO())
            first = _fingerprint()
            raise _Rollback
    except _Rollback:
        pass
    assert not Enterprise.objects.exists()

    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert _fingerprint() == first, "同一种子两次载入的演示数据应完全相同"

    levels = Territory.Level
    assert Territory.objects.get(level=levels.DISTRICT).code == "110105"
    assert Territory.objects.filter(level=levels.STREET).count() == 4
    assert Territory.objects.filter(level=levels.COMMUNITY).count() == 12
    assert Territory.objects.filter(level=levels.GRID).count() == 40

    kinds = set(Organisation.objects.values_list("kind", flat=True))
    assert kinds == set(Organisation.Kind.values)
    assert Organisation.objects.count() >= 10
    assert Organisation.objects.filter(kind=Organisation.Kind.STREET_GOVERNMENT).count() == 4
    contractor = Organisation.objects.get(kind=Organisation.Kind.GENERAL_CONTRACTOR)
    assert contractor.enterprise is not None

    assert Enterprise.objects.count() == 300
    missing = Enterprise.objects.filter(credit_code__isnull=True)
    assert 0 < missing.count() <= 10
    assert all(e.credit_code_missing for e in missing)
    for enterprise in Enterprise.objects.exclude(credit_code__isnull=True):
        assert uscc.is_valid(enterprise.credit_code), enterprise.credit_code
        assert ric.is_valid(enterprise.legal_representative_id_number), enterprise.name
        assert enterprise.contact_phone.startswith("1") and len(enterprise.contact_phone) == 11

    assert Project.objects.count() == 40
    assert set(Project.objects.values_list("investment_type", flat=True)) == set(Project.InvestmentType.values)
    assert Project.objects.filter(under_full_supervision=False).exists()
    assert Project.objects.filter(under_full_supervision=True).count() >= 30
    assert Project.objects.filter(general_contractor=contractor.enterprise).exists()
    assert ProjectParticipant.objects.filter(parent__isnull=False).exists(), "应有多级分包链"

    assert set(User.objects.values_list("role", flat=True)) == set(Role.values)
    assert authenticate(username="clerk", password=DEMO_PASSWORD) is not None
    assert authenticate(username="office_leader", password=DEMO_PASSWORD) is not None

    # Every row came through a service, so every row has its history event.
    assert Event.objects.filter(action="enterprise.created").count() == 300
    assert Event.objects.filter(action="project.created").count() == 40
    assert Event.objects.filter(action="user.created").count() == User.objects.count()
    assert Event.objects.filter(action="territory.created").count() == Territory.objects.count()
    for event in Event.objects.filter(action="enterprise.created")[:50]:
        enterprise = Enterprise.objects.get(pk=event.object_id)
        assert enterprise.legal_representative_id_number not in event.payload
        assert enterprise.contact_phone not in event.payload

    token = ApiToken.objects.get(user__username="data_feed")
    assert token.prefix in out.getvalue()
    assert DEMO_PASSWORD in out.getvalue()

    rows = loader.demo_logins()
    assert {r["role"] for r in rows} == {label for _, label in Role.choices}
    table = loader.logins_table(rows)
    assert "专窗受理员" in table and "示范区矛盾纠纷多元化解中心" in table


@pytest.mark.django_db
def test_load_demo_refuses_a_database_with_data_and_if_empty_skips_it(world, fast_demo):
    enterprises = Enterprise.objects.count()
    with pytest.raises(CommandError, match="已有数据"):
        call_command("load_demo", stdout=io.StringIO())
    out = io.StringIO()
    call_command("load_demo", "--if-empty", stdout=out)
    assert "跳过" in out.getvalue()
    assert Enterprise.objects.count() == enterprises


@pytest.mark.django_db
def test_create_api_token_prints_a_bearer_token_for_that_user(world, client):
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_token", "tax_feed", "--name", "税务数据推送", stdout=out, stderr=err)
    token = out.getvalue().strip()
    assert token.startswith("ww_") and "\n" not in token
    assert ApiToken.objects.get(user=world.users["tax_feed"]).name == "税务数据推送"

    answer = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert answer.status_code == 200
    assert answer.json()["username"] == "tax_feed"
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer ww_not-a-token").status_code == 401


@pytest.mark.django_db
def test_create_api_token_names_a_missing_user_in_chinese(world):
    with pytest.raises(CommandError, match="用户“nobody”不存在"):
        call_command("create_api_token", "nobody")
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_create_api_token_refuses_an_inactive_user(world):
    user = world.users["tax_feed"]
    user.is_active = False
    user.save()
    with pytest.raises(CommandError, match="已停用"):
        call_command("create_api_token", "tax_feed")


def test_run_embedded_says_when_the_port_is_taken():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(CommandError, match=f"端口 {port} 已被占用"):
            call_command("run_embedded", "--addr", f"127.0.0.1:{port}", "--no-worker", stdout=io.StringIO())


def test_run_embedded_rejects_a_malformed_address():
    with pytest.raises(CommandError, match="监听地址"):
        call_command("run_embedded", "--addr", "127.0.0.1:http", "--no-worker", stdout=io.StringIO())


@pytest.mark.django_db
def test_pages_and_api_docs_load_their_assets_from_the_installed_packages(client):
    """Government intranets have no internet: every script and stylesheet is served by us."""
    import re

    docs = client.get("/api/v1/docs")
    login = client.get("/login/")
    assert docs.status_code == 200 and login.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', docs.content.decode() + login.content.decode())
    assert "/static/ninja/swagger-ui-bundle.js" in assets
    assert "/static/django_htmx/htmx-2.min.js" in assets
    for asset in assets:
        assert asset.startswith("/static/"), asset
        answer = client.get(asset)
        assert answer.status_code == 200, asset
        body = b"".join(answer.streaming_content) if answer.streaming else answer.content
        assert body, asset
    assert client.get("/api/v1/openapi.json").status_code == 200

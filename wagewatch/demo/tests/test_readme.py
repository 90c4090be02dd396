"""The README's walk-throughs work as written on a fresh demo: the logins of its table, the pages it
names, and the payroll walk-through's example files, uploaded in its order into the project it names,
each imported with no rejected row."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from wagewatch.core.models import User
from wagewatch.demo import loader
from wagewatch.demo.base import DEMO_PASSWORD
from wagewatch.payroll.models import ImportJob
from wagewatch.payroll.services.imports import import_job_process
from wagewatch.registry.models import Project

README = (Path(settings.BASE_DIR) / "README.md").read_text(encoding="utf-8")
EXAMPLES = Path(settings.BASE_DIR) / "docs" / "examples" / "payroll"


def _section(title: str) -> str:
    start = README.index(f"## {title}")
    end = README.find("\n## ", start + 1)
    return README[start:end]


@pytest.fixture
def demo(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return loader.load()


def _login(client, username):
    client.logout()
    assert client.login(username=username, password=DEMO_PASSWORD), f"README 中的账号 {username} 无法用演示密码登录"
    return client


@pytest.mark.django_db
def test_every_login_of_the_table_exists_with_its_role(demo, client):
    assert DEMO_PASSWORD in README
    rows = [line for line in _section("打开之后").splitlines() if line.startswith("| `")]
    assert len(rows) >= 15
    names = []
    for row in rows:
        first, role = (cell.strip() for cell in row.strip("|").split("|")[:2])
        if " / " in first:  # "`donghu_leader` / `donghu_handler` | 负责人 / 经办人": pairwise
            roles = role.split(" / ")
            for i, part in enumerate(first.split(" / ")):
                name = re.search(r"`([a-z_0-9]+)`", part)[1]
                names.append((name, roles[i] if i == 0 else roles[0][: -len(roles[i])] + roles[i]))
            continue
        for name in re.findall(r"`([a-z_0-9]+)`", first):
            names.append((name, role))
    for name, role in names:
        user = User.objects.get(username=name)
        assert user.get_role_display() in role, (name, user.get_role_display(), role)
        if name != "data_feed":  # an API-only user: the README says it does not sign in to the pages
            _login(client, name)
            assert client.get("/").status_code == 200, name


@pytest.mark.django_db
def test_the_pages_the_readme_names_answer(demo, client):
    paths = sorted(set(re.findall(r"http://127\.0\.0\.1:8000(/[\w/.-]*)", README)))
    assert "/w/" in paths and "/w/pay/" in paths
    for path in paths:
        response = client.get(path)
        assert response.status_code in ((401,) if path.startswith("/api/v1/me") else (200, 302)), (path, response.status_code)
    for user, path in [
        ("clerk", "/intake/register/"), ("clerk", "/intake/import/"), ("donghu_handler", "/cases/inbox/"),
        ("office_staff", "/cases/"), ("office_staff", "/cases/overdue/"), ("office_staff", "/payroll/reconciliation/"),
        ("office_staff", "/payroll/projects/"), ("admin", "/admin/"),
    ]:
        assert _login(client, user).get(path).status_code == 200, (user, path)


@pytest.mark.django_db
def test_the_api_token_example_works(demo, client, capsys):
    call_command("create_api_token", "data_feed", "--name", "税务数据推送")
    token = re.search(r"ww_[\w-]+", capsys.readouterr().out)[0]
    response = client.get("/api/v1/me", headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.json()["username"] == "data_feed"


@pytest.mark.django_db
def test_the_payroll_walk_through_imports_every_example_file_in_order(demo, client):
    text = _section("工资支付监管与月度核对(怎么试)")
    code = re.search(r"\*\*(\d{6}-\d{4}-\d{3}) ", text)[1]
    project = Project.objects.get(code=code)
    files = re.findall(r"(\w+\.csv)[(\uff08]", text.split("2. **导入**")[1].split("3. **")[0])
    assert files[:2] == ["teams.csv", "workers.csv"] and len(files) == 7
    kinds = {"teams": "teams", "workers": "workers", "attendance": "attendance", "quantities": "quantities",
             "payroll": "payroll", "disbursements": "disbursements", "instalments": "instalments"}

    _login(client, "labour_manager")
    listing = client.get("/payroll/projects/")
    assert listing.status_code == 200 and project.name in listing.content.decode()
    assert client.get(f"/payroll/projects/{project.pk}/").status_code == 200
    for name in files:
        kind = kinds[name.removesuffix(".csv")]
        upload = SimpleUploadedFile(name, (EXAMPLES / name).read_bytes(), content_type="text/csv")
        response = client.post(f"/payroll/projects/{project.pk}/imports/", {"kind": kind, "file": upload})
        assert response.status_code == 302, (name, response.content.decode()[:2000])
        job = ImportJob.objects.filter(project=project, kind=kind).latest("pk")
        job = import_job_process(job.pk)
        assert job.status == ImportJob.Status.DONE, (name, job.error, job.rejected)
        assert job.rows_created > 0 and not job.rejected, (name, job.rows_created, job.rejected)
    page = client.get(f"/payroll/projects/{project.pk}/?month=2026-10")
    assert page.status_code == 200

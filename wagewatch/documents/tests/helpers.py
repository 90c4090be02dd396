"""Shared test data and PDF readers (poppler-utils: pdftotext, pdftoppm, pdffonts)."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from wagewatch.documents.data import CommitmentLetter, DispatchOrderDoc, QrPoster

RECEIVED = datetime(2026, 11, 23, 6, 5, tzinfo=UTC)  # 14:05 in Shanghai
OFFICE = "某某区根治欠薪工作领导小组办公室"


def needs(tool: str):
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} 未安装(poppler-utils,make browser 会安装)")


def pdf_text(data: bytes) -> str:
    """The PDF's text as pdftotext reads it."""
    needs("pdftotext")
    result = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True, check=True)
    return result.stdout.decode("utf-8")


def flat(text: str) -> str:
    """Text without any whitespace: wrapped lines and table cells read as one string."""
    return re.sub(r"\s+", "", text)


def pdf_pages(data: bytes) -> int:
    needs("pdfinfo")
    result = subprocess.run(["pdfinfo", "-"], input=data, capture_output=True, check=True)
    match = re.search(r"^Pages:\s+(\d+)", result.stdout.decode(), re.MULTILINE)
    assert match, result.stdout
    return int(match.group(1))


def pdf_fonts(data: bytes) -> list[list[str]]:
    """Rows of pdffonts (name, type..., emb, sub, uni) for the fonts in the PDF."""
    needs("pdffonts")
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(data)
        handle.flush()
        result = subprocess.run(["pdffonts", handle.name], capture_output=True, check=True)
    return [line.split() for line in result.stdout.decode().splitlines()[2:] if line.strip()]


def pdf_render(data: bytes, directory: Path, *, dpi: int = 150) -> list[Path]:
    """PNG pages of the PDF."""
    needs("pdftoppm")
    source = directory / "doc.pdf"
    source.write_bytes(data)
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), str(source), str(directory / "page")], check=True)
    return sorted(directory.glob("page*.png"))


def make_letter(**changes) -> CommitmentLetter:
    values = dict(
        case_number="QX-2026-000123",
        complainant_name="张建国",
        received_at=RECEIVED,
        employer_name="某某建筑劳务有限公司",
        amount_owed=Decimal("123456.5"),
        worker_count=12,
        time_limit_text="7个工作日",
        track_url="https://wagewatch.example.gov.cn/w/track",
        office_name=OFFICE,
        office_phone="0571-88886666",
        issued_at=RECEIVED,
        due_at=RECEIVED + timedelta(days=9),
        due_provisional=False,
        project_name="某某新城安置房二期工程",
        site_address="某某区某某街道幸福路188号",
        handler_name="李某某",
    )
    values.update(changes)
    return CommitmentLetter(**values)


def make_order(**changes) -> DispatchOrderDoc:
    values = dict(
        order_number="ZB-2026-000456",
        case_number="QX-2026-000123",
        issued_at=RECEIVED,
        dispatching_office=OFFICE,
        responsible_unit="区住房和城乡建设局",
        responsible_leader="王某某(副局长)",
        responsible_person="赵某某",
        measures="当日约谈总包单位项目负责人,核实欠薪人数与金额;督促总包单位通过工资专用账户代发。",
        due_at=RECEIVED + timedelta(days=9),
        due_provisional=False,
        time_limit_text="7个工作日",
        received_at=RECEIVED,
        channel="12345热线",
        complainant_name="张**",
        employer_name="某某建筑劳务有限公司",
        employer_credit_code="91330100MA2XXXXX0X",
        project_name="某某新城安置房二期工程",
        site_address="某某区某某街道幸福路188号",
        amount_owed=Decimal("123456.5"),
        worker_count=12,
        description="投诉人称在该项目从事钢筋工,拖欠5个月工资。",
        assisting_units=["某某街道办事处"],
        copy_to=["区住房和城乡建设局建筑市场监管科"],
        general_contractor="中国某某建设集团有限公司",
        general_contractor_notified=True,
        is_major=False,
        issuer_name="陈某某",
        office_phone="0571-88886666",
    )
    values.update(changes)
    return DispatchOrderDoc(**values)


def make_poster(**changes) -> QrPoster:
    values = dict(
        url="https://wagewatch.example.gov.cn/w/c/P-000123",
        office_name=OFFICE,
        project_name="某某新城安置房二期工程",
        site_address="某某区某某街道幸福路188号",
        project_code="P-000123",
        office_phone="0571-88886666",
    )
    values.update(changes)
    return QrPoster(**values)

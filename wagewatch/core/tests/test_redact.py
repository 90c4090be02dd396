"""Personal numbers in free text: what is masked, what is not (amounts, codes, digests), and the
sinks that must never see a clear number: history payloads, job error fields, log records."""

from __future__ import annotations

import hashlib
import json
import logging

import pytest
from django.db import transaction
from django.template import Context, Template

from wagewatch.core.redact import contains_personal_number, redact_data, redact_text
from wagewatch.history.models import Event
from wagewatch.history.services import event_append

ID = "110101199003071234"
PHONE = "13812345678"
CARD = "6222021234567890123"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"身份证{ID}。", "身份证110***********1234。"),
        ("身份证11010119900307123x", "身份证110***********123X"),
        ("旧身份证110101900307123", "旧身份证110********7123"),
        (f"电话{PHONE},", "电话138****5678,"),
        ("电话 138-1234-5678 或 +86 138 1234 5678", "电话 138****5678 或 138****5678"),
        ("座机0571-87654321", "座机057****4321"),
        (f"卡号{CARD}", "卡号**** **** **** 0123"),
        ("卡号6222 0212 3456 7890 123。", "卡号**** **** **** 0123。"),
        ("卡号6222-0212-3456-7890", "卡号**** **** **** 7890"),
        (f'张三,"{ID},{PHONE}', '张三,"110***********1234,138****5678'),
    ],
)
def test_numbers_in_text_are_masked_like_the_fields(text, expected):
    assert redact_text(text) == expected
    assert redact_text(expected) == expected  # masking twice changes nothing


@pytest.mark.parametrize(
    "text",
    [
        "欠薪12000000元",
        "金额13800000000.00元",
        "2026-12-02 14:41:01 至 2026-12-31",
        "案件AJ202612020001",
        "12345-2026-0001",
        "统一社会信用代码91110000600037341L",
        hashlib.sha256(b"x").hexdigest(),
        "三个月工资未发,共3人,每人6300元",
    ],
)
def test_amounts_dates_codes_and_digests_are_left_alone(text):
    assert redact_text(text) == text
    assert not contains_personal_number(text)


def test_every_hex_digest_survives():
    # A digest with a long run of digits inside must never be changed (letters bound the run).
    for n in range(3000):
        digest = hashlib.sha256(str(n).encode()).hexdigest()
        assert redact_text(digest) == digest


def test_data_keeps_its_shape():
    data = {"note": f"卡号{CARD}", "rows": [{"value": PHONE}], "count": 13812345678, "ok": True, "none": None}
    assert redact_data(data) == {"note": "卡号**** **** **** 0123", "rows": [{"value": "138****5678"}], "count": 13812345678, "ok": True, "none": None}


@pytest.mark.django_db
def test_history_payload_is_masked_before_it_is_hashed(world):
    with transaction.atomic():
        event = event_append(
            actor=world.users["clerk"], action="test.note", obj=("test.thing", 1),
            payload={"note": f"张三身份证{ID},电话{PHONE},工资卡{CARD}", "file_sha256": hashlib.sha256(b"a").hexdigest()},
        )
    stored = Event.objects.get(seq=event.seq)
    for number in (ID, PHONE, CARD):
        assert number not in stored.payload
    assert json.loads(stored.payload)["file_sha256"] == hashlib.sha256(b"a").hexdigest()
    assert "138****5678" in stored.payload
    from wagewatch.history.verify import verify_history

    assert verify_history().ok


def test_log_lines_never_carry_a_clear_number(caplog):
    logger = logging.getLogger("wagewatch.test_redact")
    with caplog.at_level(logging.INFO):
        logger.warning("导入失败 %s %s", f"张三,{ID}", PHONE)
        try:
            raise ValueError(f"坏的一行:{CARD}")
        except ValueError:
            logger.exception("处理 %s 失败", "第2行")
    text = caplog.text
    for number in (ID, PHONE, CARD):
        assert number not in text
    assert "138****5678" in text and "**** **** **** 0123" in text


def test_the_settings_handler_filters_too():
    from wagewatch.core.redact import RedactFilter

    record = logging.LogRecord("x", logging.INFO, __file__, 1, "卡号 %s", (CARD,), None)
    record._redacted = False
    assert RedactFilter().filter(record) is True
    assert record.getMessage() == "卡号 **** **** **** 0123"
    handlers = logging.getLogger().handlers
    assert any(isinstance(f, RedactFilter) for h in handlers for f in h.filters) or not handlers


def test_template_filter_is_on_every_page_without_load():
    rendered = Template("{{ text|redact|default:'—' }}|{{ empty|redact|default:'—' }}").render(Context({"text": f"<b>{CARD}</b>", "empty": ""}))
    assert rendered == "&lt;b&gt;**** **** **** 0123&lt;/b&gt;|—"


@pytest.mark.django_db
def test_job_error_fields_are_masked_on_save_and_update(world):
    from wagewatch.payroll.models import ImportJob

    job = ImportJob.objects.create(project=world.projects["housing_b"], kind=ImportJob.Kind.WORKERS, error=f"坏行 张三,{ID}", rejected=[{"value": PHONE, "reason": f"卡号{CARD}不对"}])
    assert ID not in job.error and PHONE not in json.dumps(job.rejected)  # in memory as well
    ImportJob.objects.filter(pk=job.pk).update(error=f"又错 {CARD}")
    job.refresh_from_db()
    assert job.error == "又错 **** **** **** 0123"
    assert job.rejected == [{"value": "138****5678", "reason": "卡号**** **** **** 0123不对"}]


def test_timeline_summary_masks_before_cutting_short():
    # An event recorded before payloads were masked: the cut must not leave part of the card.
    from wagewatch.history.labels import payload_summary

    summary = payload_summary(json.dumps({"note": "情况" * 10 + CARD}), limit=40)
    assert "6222021" not in summary


@pytest.mark.django_db
def test_an_actor_named_by_a_phone_number_is_masked_in_the_history(world):
    clerk = world.users["clerk"]
    clerk.username, clerk.full_name = PHONE, ""
    clerk.save(update_fields=["username", "full_name"])
    with transaction.atomic():
        event = event_append(actor=clerk, action="test.note", obj=("test.thing", 2), payload={})
        labelled = event_append(actor=f"数据接口: {PHONE}", action="test.note", obj=("test.thing", 3), payload={})
    assert Event.objects.get(seq=event.seq).actor_label == "138****5678"
    assert Event.objects.get(seq=event.seq).actor_id == clerk.pk
    assert PHONE not in Event.objects.get(seq=labelled.seq).actor_label

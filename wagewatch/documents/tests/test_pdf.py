from decimal import Decimal

import pytest

from wagewatch.documents.formatting import fullwidth
from wagewatch.documents.layout import SEAL_TEXT
from wagewatch.documents.pdf import (
    PROVISIONAL_MARK,
    commitment_letter_pdf,
    dispatch_order_pdf,
    qr_poster_pdf,
)
from wagewatch.documents.tests.helpers import (
    flat,
    make_letter,
    make_order,
    make_poster,
    pdf_fonts,
    pdf_pages,
    pdf_text,
)


def assert_all_in(text: str, expected: list[str]) -> None:
    body = flat(text)
    missing = [item for item in expected if flat(item) not in body]
    assert not missing, f"missing {missing} in:\n{text}"


# --- 承诺函 ------------------------------------------------------------------------------------------


def test_commitment_letter_says_what_the_complainant_needs():
    data = commitment_letter_pdf(make_letter())
    assert data.startswith(b"%PDF-")
    assert pdf_pages(data) == 1
    assert_all_in(pdf_text(data), [
        "欠薪投诉受理承诺函",
        fullwidth("案件编号:QX-2026-000123"),
        fullwidth("张建国:"),
        "2026年11月23日 14:05",  # 06:05 UTC shown in Asia/Shanghai
        "某某建筑劳务有限公司",
        "12 人",
        "123,456.50 元",
        "某某新城安置房二期工程",
        "我单位承诺自受理之日起7个工作日内办结",
        "办结期限为2026年12月2日",
        "https://wagewatch.example.gov.cn/w/track",
        "首日对接",
        fullwidth("联系电话:0571-88886666"),
        fullwidth("经办人:李某某"),
        "12345",
        "某某区根治欠薪工作领导小组办公室",
        SEAL_TEXT,
    ])


def test_commitment_letter_uses_the_time_limit_it_is_given():
    text = pdf_text(commitment_letter_pdf(make_letter(time_limit_text="5个工作日", due_at=None)))
    assert_all_in(text, ["我单位承诺自受理之日起5个工作日内办结"])
    assert "7个工作日" not in flat(text)
    assert "办结期限" not in flat(text)


def test_provisional_deadline_is_marked_and_a_firm_one_is_not():
    assert PROVISIONAL_MARK == fullwidth("(暂定:日历未发布)")
    assert PROVISIONAL_MARK in flat(pdf_text(commitment_letter_pdf(make_letter(due_provisional=True))))
    assert "暂定" not in flat(pdf_text(commitment_letter_pdf(make_letter(due_provisional=False))))


def test_commitment_letter_prints_unknown_for_missing_facts():
    letter = make_letter(employer_name="", amount_owed=None, worker_count=None, project_name="", site_address="",
                         handler_name="")
    text = flat(pdf_text(commitment_letter_pdf(letter)))
    assert text.count("未知") == 3  # employer, workers, amount
    assert "工程项目" not in text  # no project: the rows are left out
    assert fullwidth("经办人:") not in text


def test_fonts_are_embedded_as_subsets_so_pdfs_stay_small():
    data = commitment_letter_pdf(make_letter())
    rows = pdf_fonts(data)
    assert rows, "no fonts in the PDF"
    for row in rows:
        emb, sub, uni = row[-5], row[-4], row[-3]
        assert (emb, sub, uni) == ("yes", "yes", "yes"), row
    assert len(data) < 150_000


def test_a_rare_character_outside_gb2312_still_prints():
    # 堃 and 喆 are common in names but not in GB 2312 (the reduced font's set): the letter is drawn
    # with the full font then.
    text = flat(pdf_text(commitment_letter_pdf(make_letter(complainant_name="王堃喆"))))
    assert "王堃喆" in text


def test_naive_datetimes_are_refused():
    from datetime import datetime

    with pytest.raises(ValueError, match="naive"):
        commitment_letter_pdf(make_letter(received_at=datetime(2026, 11, 23, 14, 5)))


# --- 转办单 ------------------------------------------------------------------------------------------


def test_dispatch_order_has_the_five_haves_and_the_complaint():
    data = dispatch_order_pdf(make_order(due_provisional=True, is_major=True))
    assert pdf_pages(data) == 1
    assert_all_in(pdf_text(data), [
        "欠薪案件转办单",
        fullwidth("转办单号:ZB-2026-000456"),
        fullwidth("案件编号:QX-2026-000123"),
        "责任单位", "区住房和城乡建设局",
        "责任领导", "王某某(副局长)",
        "具体责任人", "赵某某",
        "具体措施", "督促总包单位通过工资专用账户代发",
        "完成时限", "2026年12月2日 14:05" + PROVISIONAL_MARK, fullwidth("(受理之日起7个工作日)"),
        "12345热线", "张**", "91330100MA2XXXXX0X", "某某新城安置房二期工程", "某某区某某街道幸福路188号",
        "12 人", "123,456.50 元", "拖欠5个月工资",
        "协办单位", "某某街道办事处",
        "抄送", "区住房和城乡建设局建筑市场监管科",
        "中国某某建设集团有限公司" + fullwidth("(已告知其总部)"),
        "重大案件", "挂牌督办",
        fullwidth("转办单位(盖章):"), fullwidth("签收单位(盖章):"), fullwidth("签发人:陈某某"),
        SEAL_TEXT,
    ])


def test_dispatch_order_lists_many_assisting_units_and_wraps_long_text_across_pages():
    units = [f"第{number}协办单位(某某街道社区居民委员会)" for number in range(1, 16)]
    description = "投诉人称在该项目从事钢筋工,班组长承诺每月15日发放工资,但至今拖欠。" * 40
    data = dispatch_order_pdf(make_order(assisting_units=units, description=description,
                                         copy_to=["区交通运输局", "区水利局"]))
    text = pdf_text(data)
    assert pdf_pages(data) >= 2
    body = flat(text)
    for number, unit in enumerate(units, start=1):
        assert flat(f"{number}.{unit}") in body
    # Every sentence of the long description is there, once per repetition, wrapped and split.
    assert body.count("至今拖欠") == 40
    assert_all_in(text, ["区交通运输局", "区水利局", fullwidth("(续)"), "第 2 页"])


def test_dispatch_order_shows_dashes_and_unknown_for_missing_values():
    order = make_order(responsible_leader="", measures="", due_at=None, time_limit_text="", received_at=None,
                       channel="", employer_name="", employer_credit_code="", project_name="", site_address="",
                       amount_owed=None, worker_count=None, description="", assisting_units=[], copy_to=[],
                       general_contractor="", issuer_name="")
    text = flat(pdf_text(dispatch_order_pdf(order)))
    assert "未知" in text
    assert text.count("—") >= 8
    assert "暂定" not in text
    assert "统一社会信用代码" not in text


def test_contractor_not_yet_notified_says_so():
    text = flat(pdf_text(dispatch_order_pdf(make_order(general_contractor_notified=False))))
    assert fullwidth("(尚未告知其总部)") in text


# --- 海报 --------------------------------------------------------------------------------------------


def test_project_poster_text():
    data = qr_poster_pdf(make_poster())
    assert pdf_pages(data) == 1
    assert_all_in(pdf_text(data), [
        "欠薪投诉", "扫码维权", "某某新城安置房二期工程", fullwidth("项目地址:某某区某某街道幸福路188号"),
        "扫码填写", "收到短信验证码", "获得案件编号", "随时查询进度",
        fullwidth("投诉热线:12345"), "某某区根治欠薪工作领导小组办公室", "P-000123",
        "https://wagewatch.example.gov.cn/w/c/P-000123",
    ])


def test_general_poster_has_no_project():
    data = qr_poster_pdf(make_poster(url="https://wagewatch.example.gov.cn/w/c", project_name="", site_address="",
                                     project_code="", hotlines=["12345", "12333"]))
    text = flat(pdf_text(data))
    assert "本区所有用人单位、工程项目通用" in text
    assert "项目地址" not in text and "项目编号" not in text
    assert "12345、12333" in text


def test_amounts_round_half_up_to_the_fen():
    text = flat(pdf_text(commitment_letter_pdf(make_letter(amount_owed=Decimal("1234567.005")))))
    assert "1,234,567.01元" in text

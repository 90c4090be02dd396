"""The documents offices print, sign and file: the commitment letter (承诺函), the dispatch order (转办单)
and the QR poster for sites. Each function takes a plain data object (data.py) and returns PDF bytes."""

from __future__ import annotations

from .data import CommitmentLetter, DispatchOrderDoc, QrPoster
from .formatting import UNKNOWN, format_amount, format_count, format_date, format_datetime, fullwidth, text_or, zh
from .layout import (
    BLACK,
    GREY,
    MARGIN_LEFT,
    MARGIN_RIGHT,
    PAGE_WIDTH,
    RED,
    Writer,
    joined,
    render,
)
from .qr import qr_draw

# Printed after a deadline computed before the year's official calendar was published.
PROVISIONAL_MARK = fullwidth("(暂定:日历未发布)")


def _deadline(due_at, provisional: bool) -> str:
    text = format_datetime(due_at) if due_at is not None else "—"
    return f"{text}{PROVISIONAL_MARK}" if due_at is not None and provisional else text


# --- 承诺函 -------------------------------------------------------------------------------------------


def commitment_letter_pdf(letter: CommitmentLetter) -> bytes:
    """The commitment letter for the complainant: A4, one page for ordinary cases."""
    return render(lambda writer: _draw_letter(writer, letter), title=f"欠薪投诉受理承诺函 {letter.case_number}",
                  author=letter.office_name)


def _draw_letter(writer: Writer, letter: CommitmentLetter) -> None:
    pdf = writer.pdf
    writer.font("serif", 22, bold=True)
    writer.line("欠薪投诉受理承诺函", align="C", height=13)
    writer.font("serif", 12)
    writer.line(zh("案件编号:{number}", number=letter.case_number), align="R", height=7)
    writer.gap(2)

    writer.font("serif", 14)
    writer.line(zh("{name}:", name=text_or(letter.complainant_name, "投诉人")), height=writer.line_height(1.7))
    writer.paragraph(
        zh("您于{received}反映的欠薪问题,我单位已受理,案件编号为 {number},请妥善保存。投诉事项如下:",
           received=format_datetime(letter.received_at), number=letter.case_number),
        factor=1.7,
    )
    writer.gap(1.5)
    full = writer.width
    label, half = 26.0, writer.width / 2
    writer.table_row([("投诉人", label, True), (text_or(letter.complainant_name), half - label, False),
                      ("受理时间", label, True), (format_datetime(letter.received_at), half - label, False)])
    writer.table_row([("被投诉单位", label, True), (text_or(letter.employer_name, UNKNOWN), full - label, False)])
    if letter.project_name or letter.site_address:
        writer.table_row([("工程项目", label, True), (text_or(letter.project_name), full - label, False)])
        writer.table_row([("工作地点", label, True), (text_or(letter.site_address), full - label, False)])
    writer.table_row([("涉及人数", label, True), (format_count(letter.worker_count), half - label, False),
                      ("涉及金额", label, True), (format_amount(letter.amount_owed), half - label, False)])
    writer.gap(3)

    writer.font("serif", 14, bold=True)
    promise = zh("我单位承诺自受理之日起{limit}内办结", limit=letter.time_limit_text)
    if letter.due_at is not None:
        mark = PROVISIONAL_MARK if letter.due_provisional else ""
        promise += zh(",办结期限为{due}{mark}", due=format_date(letter.due_at), mark=mark)
    writer.paragraph(promise + "。", factor=1.7)
    writer.font("serif", 14)
    writer.paragraph(
        fullwidth("受理当日,经办人员将与您电话联系,核实情况(首问负责、首日对接)。案件的每一步办理进展,我们都会用短信告诉您。"),
        factor=1.7,
    )

    # The tracking paragraph sits beside the QR code.
    qr_size = 30.0
    text_width = writer.width - qr_size - 6
    writer.ensure_space(qr_size + 6)
    top = pdf.get_y()
    writer.paragraph(
        zh("查询办法:用手机扫描右侧二维码,或在浏览器打开 {url} ,输入案件编号 {number} 和您的手机号码,"
           "凭短信验证码即可随时查询办理进度、补充证据材料、评价办理结果。", url=letter.track_url, number=letter.case_number),
        width=text_width,
        factor=1.7,
    )
    after_text = pdf.get_y()
    qr_draw(pdf, letter.track_url, x=PAGE_WIDTH - MARGIN_RIGHT - qr_size, y=top + 1, size=qr_size)
    with writer.style("serif", 9, color=GREY):
        pdf.set_xy(PAGE_WIDTH - MARGIN_RIGHT - qr_size, top + qr_size + 1)
        writer.cell(qr_size, 4, "扫码查询进度", align="C")
    pdf.set_y(max(after_text, top + qr_size + 6))
    writer.paragraph(
        zh("如有疑问,请拨打联系电话 {phone},或拨打 {hotline} 政务服务便民热线。",
           phone=text_or(letter.office_phone), hotline=letter.hotline),
        factor=1.7,
    )

    # Signature block: office and date at the right, the seal stamped over them.
    writer.ensure_space(38)
    writer.gap(7)
    block_width = 90.0
    block_x = PAGE_WIDTH - MARGIN_RIGHT - block_width
    top = pdf.get_y()
    writer.font("serif", 14)
    for text in [*writer.wrap(letter.office_name, block_width)[:2], format_date(letter.issued_at)]:
        writer.line(text, align="C", x=block_x, width=block_width, height=8.5)
    writer.seal_placeholder(block_x + block_width / 2, (top + pdf.get_y()) / 2, radius=19)
    writer.gap(4)
    writer.font("serif", 10.5, color=GREY)
    handler = zh("经办人:{name}    ", name=letter.handler_name) if letter.handler_name else ""
    writer.line(handler + zh("联系电话:{phone}", phone=text_or(letter.office_phone)), height=5.5)
    writer.line(fullwidth("本承诺函一式两份,投诉人与受理单位各执一份。"), height=5.5)


# --- 转办单 -------------------------------------------------------------------------------------------


def dispatch_order_pdf(order: DispatchOrderDoc) -> bytes:
    """The dispatch order to the responsible unit, with the "五个有" first."""
    return render(lambda writer: _draw_order(writer, order), title=f"欠薪案件转办单 {order.order_number}",
                  author=order.dispatching_office)


def _draw_order(writer: Writer, order: DispatchOrderDoc) -> None:
    pdf = writer.pdf
    writer.font("serif", 18, bold=True, color=RED)
    writer.line(order.dispatching_office, align="C", height=10)
    writer.rule(color=RED, width=0.8, gap=1.2)
    writer.gap(2.5)
    writer.font("serif", 22, bold=True)
    writer.line("欠薪案件转办单", align="C", height=12)
    if order.is_major:
        _major_tag(writer)
    writer.font("serif", 11)
    writer.gap(1)
    y = pdf.get_y()
    pdf.set_xy(MARGIN_LEFT, y)
    writer.cell(writer.width, 6.5, zh("转办单号:{n}", n=order.order_number))
    pdf.set_xy(MARGIN_LEFT, y)
    writer.cell(writer.width, 6.5, zh("转办时间:{t}", t=format_datetime(order.issued_at)), align="R")
    pdf.set_xy(MARGIN_LEFT, y + 6)
    writer.cell(writer.width, 6.5, zh("案件编号:{n}", n=order.case_number))
    pdf.set_xy(MARGIN_LEFT, y + 13)

    full, label = writer.width, 28.0
    half = full / 2
    writer.heading(fullwidth("一、办理责任(五个有)"))
    writer.table_row([("责任单位", label, True), (text_or(order.responsible_unit), full - label, False)])
    writer.table_row([("责任领导", label, True), (text_or(order.responsible_leader), half - label, False),
                      ("具体责任人", label, True), (text_or(order.responsible_person), half - label, False)])
    writer.table_row([("具体措施", label, True), (text_or(order.measures), full - label, False)])
    limit = _deadline(order.due_at, order.due_provisional)
    if order.time_limit_text:
        limit += zh("(受理之日起{limit})", limit=order.time_limit_text)
    writer.table_row([("完成时限", label, True), (limit, full - label, False)])

    writer.heading("二、投诉事项")
    writer.table_row([("受理时间", label, True), (format_datetime(order.received_at), half - label, False),
                      ("来源渠道", label, True), (text_or(order.channel), half - label, False)])
    writer.table_row([("投诉人", label, True), (text_or(order.complainant_name), half - label, False),
                      ("联系电话", label, True), (text_or(order.complainant_phone), half - label, False)])
    employer = text_or(order.employer_name, UNKNOWN)
    if order.employer_credit_code:
        employer += zh("\n统一社会信用代码:{code}", code=order.employer_credit_code)
    writer.table_row([("被投诉单位", label, True), (employer, full - label, False)])
    writer.table_row([("工程项目", label, True), (text_or(order.project_name), full - label, False)])
    writer.table_row([("项目地址", label, True), (text_or(order.site_address), full - label, False)])
    writer.table_row([("涉及人数", label, True), (format_count(order.worker_count), half - label, False),
                      ("涉及金额", label, True), (format_amount(order.amount_owed), half - label, False)])
    writer.table_row([("投诉内容", label, True), (text_or(order.description), full - label, False)])

    writer.heading("三、协办与告知")
    writer.table_row([("协办单位", label, True), (_listing(order.assisting_units), full - label, False)])
    writer.table_row([("抄送", label, True), (_listing(order.copy_to), full - label, False)])
    if order.general_contractor:
        told = "已告知其总部" if order.general_contractor_notified else "尚未告知其总部"
        contractor = zh("{name}({told})", name=order.general_contractor, told=told)
    else:
        contractor = "—"
    writer.table_row([("总包单位", label, True), (contractor, full - label, False)])

    writer.gap(3)
    writer.font("serif", 12)
    office = order.dispatching_office
    phone = zh(",联系电话 {phone}", phone=order.office_phone) if order.office_phone else ""
    writer.paragraph(
        zh("请责任单位收到本转办单当日与投诉人联系,按上述措施和时限办理,并将办理结果及佐证材料报送{office}{phone}。"
           "逾期未办结或办理不力的,将按规定督办、通报。", office=office, phone=phone),
        factor=1.55,
    )

    # Signatures: the dispatching office on the left (its seal over its name and date), the
    # receiving unit on the right.
    writer.ensure_space(36)
    writer.gap(2)
    top = pdf.get_y()
    column = writer.width / 2
    writer.font("serif", 12)
    row = 7.5
    left = [fullwidth("转办单位(盖章):"), *writer.wrap(office, column - 4)[:2],
            zh("签发人:{name}", name=order.issuer_name or "______________"), zh("日期:{date}", date=format_date(order.issued_at))]
    right = [fullwidth("签收单位(盖章):"), "", fullwidth("签收人:______________"), fullwidth("签收时间:_____年___月___日")]
    for index, text in enumerate(left):
        pdf.set_xy(MARGIN_LEFT, top + index * row)
        writer.cell(column - 4, row, text)
    for index, text in enumerate(right):
        pdf.set_xy(MARGIN_LEFT + column + 4, top + index * row)
        writer.cell(column - 4, row, text)
    writer.seal_placeholder(MARGIN_LEFT + column * 0.74, top + row * 2.2, radius=16)
    pdf.set_xy(MARGIN_LEFT, top + max(len(left), len(right)) * row + 2)


def _major_tag(writer: Writer) -> None:
    """A red box at the top right: this case is on the key monitoring list."""
    pdf = writer.pdf
    y = pdf.get_y()
    with writer.style("sans", 11, color=RED):
        width = writer.text_width("重大案件 挂牌督办") + 6
        x = PAGE_WIDTH - MARGIN_RIGHT - width
        pdf.set_draw_color(*RED)
        pdf.set_line_width(0.5)
        pdf.rect(x, y - 12, width, 8, style="D")
        pdf.set_xy(x, y - 12)
        writer.cell(width, 8, "重大案件 挂牌督办", align="C")
    pdf.set_y(y)


def _listing(values: list[str]) -> str:
    """"—" for none, the name for one, numbered lines for several."""
    names = [value.strip() for value in values if value and value.strip()]
    if not names:
        return "—"
    if len(names) == 1:
        return names[0]
    return "\n".join(f"{index}. {name}" for index, name in enumerate(names, start=1))


# --- 二维码海报 ---------------------------------------------------------------------------------------

STEPS = ("扫码填写", "收到短信验证码", "获得案件编号", "随时查询进度")


def qr_poster_pdf(poster: QrPoster) -> bytes:
    """A4 poster for a project site (or the general one when `project_name` is empty)."""
    name = poster.project_name or "通用"
    return render(lambda writer: _draw_poster(writer, poster), title=f"欠薪投诉二维码 {name}",
                  author=poster.office_name)


def _draw_poster(writer: Writer, poster: QrPoster) -> None:
    pdf = writer.pdf
    # Red band with the headline.
    pdf.set_fill_color(*RED)
    pdf.rect(0, 0, PAGE_WIDTH, 58, style="F")
    writer.font("sans", 44, bold=True, color=(255, 255, 255))
    pdf.set_xy(0, 12)
    writer.cell(PAGE_WIDTH, 20, "欠薪投诉 扫码维权", align="C")
    writer.font("sans", 15, color=(255, 255, 255))
    pdf.set_xy(0, 36)
    writer.cell(PAGE_WIDTH, 10, fullwidth("工资被拖欠?用手机扫一扫,随时投诉、随时查询"), align="C")

    pdf.set_xy(MARGIN_LEFT, 66)
    if poster.project_name:
        writer.font("sans", 20, bold=True)
        for text_line in writer.wrap(poster.project_name, writer.width)[:2]:
            writer.line(text_line, align="C", height=10)
        writer.font("serif", 13)
        for text_line in writer.wrap(zh("项目地址:{address}", address=text_or(poster.site_address)), writer.width)[:2]:
            writer.line(text_line, align="C", height=7)
    else:
        writer.font("sans", 20, bold=True)
        writer.line("本区所有用人单位、工程项目通用", align="C", height=10)
        writer.font("serif", 13)
        writer.line(fullwidth("在本区务工被拖欠工资,都可以扫码投诉"), align="C", height=7)

    # The QR code, framed.
    size = 92.0
    x = (PAGE_WIDTH - size) / 2
    y = max(pdf.get_y() + 4, 92)
    pdf.set_draw_color(*RED)
    pdf.set_line_width(1.2)
    pdf.rect(x - 3, y - 3, size + 6, size + 6, style="D", round_corners=True, corner_radius=4)
    qr_draw(pdf, poster.url, x=x, y=y, size=size)
    writer.font("serif", 13, color=GREY)
    pdf.set_xy(MARGIN_LEFT, y + size + 4)
    writer.line("用微信或手机浏览器扫一扫", align="C", height=7)

    # Four steps in boxes joined by arrows.
    steps_y = pdf.get_y() + 5
    gap = 7.0
    box_width = (writer.width + 8 - 3 * gap) / 4
    left = MARGIN_LEFT - 4
    writer.font("sans", 12)
    for index, step in enumerate(STEPS):
        bx = left + index * (box_width + gap)
        pdf.set_draw_color(*BLACK)
        pdf.set_line_width(0.4)
        pdf.set_fill_color(255, 243, 243)
        pdf.rect(bx, steps_y, box_width, 22, style="DF", round_corners=True, corner_radius=2.5)
        with writer.style("sans", 16, bold=True, color=RED):
            pdf.set_xy(bx, steps_y + 2)
            writer.cell(box_width, 8, str(index + 1), align="C")
        with writer.style("sans", 11.5):
            lines = writer.wrap(step, box_width - 3)
            for line_index, text_line in enumerate(lines[:2]):
                pdf.set_xy(bx, steps_y + (11 if len(lines) == 1 else 9.5) + line_index * 5.5)
                writer.cell(box_width, 6, text_line, align="C")
        if index < len(STEPS) - 1:
            with writer.style("sans", 14, color=RED):
                pdf.set_xy(bx + box_width, steps_y + 7)
                writer.cell(gap, 8, "→", align="C")
    pdf.set_xy(MARGIN_LEFT, steps_y + 28)

    hotlines = "、".join(poster.hotlines) if poster.hotlines else "12345"
    writer.font("sans", 26, bold=True, color=RED)
    writer.line(zh("投诉热线:{numbers}", numbers=hotlines), align="C", height=14)
    writer.font("serif", 12)
    writer.line("投诉不收任何费用 · 个人信息依法保密 · 办理进度短信告知", align="C", height=7)

    # Foot: who posts it, and the address for typing by hand.
    pdf.set_draw_color(*GREY)
    pdf.set_line_width(0.3)
    pdf.line(MARGIN_LEFT, 268, PAGE_WIDTH - MARGIN_RIGHT, 268)
    writer.font("serif", 10.5, color=GREY)
    pdf.set_xy(MARGIN_LEFT, 270)
    office = poster.office_name + (zh("    联系电话:{phone}", phone=poster.office_phone) if poster.office_phone else "")
    writer.cell(writer.width, 6, office, align="C")
    pdf.set_xy(MARGIN_LEFT, 276)
    extra = zh("项目编号:{code}    ", code=poster.project_code) if poster.project_code else ""
    for text_line in writer.wrap(extra + zh("网址:{url}", url=poster.url), writer.width)[:2]:
        pdf.set_x(MARGIN_LEFT)
        writer.cell(writer.width, 5, text_line, align="C", next_line=True)


__all__ = ["commitment_letter_pdf", "dispatch_order_pdf", "qr_poster_pdf", "joined"]

"""Chinese labels of the case actions shown on timelines."""

ACTION_LABELS = {
    "case.registered": "立案登记",
    "case.complaint_linked": "关联投诉(重复投诉或并案)",
    "case.dispatch": "转办(出具转办单)",
    "case.accept": "责任单位签收",
    "case.return": "退回清欠办(分派有误)",
    "case.verify": "开始核实",
    "case.handle": "核实完毕,开始处置",
    "case.resolve": "办结(工资已支付)",
    "case.callback": "回访确认已解决",
    "case.reopen": "重新办理",
    "case.close": "结案",
    "case.close_no_arrears": "核实无欠薪,结案(工资核对预警已解除)",
    "case.merge": "并入其他案件",
    "case.merged_in": "接收并案",
    "case.complaint_split": "拆分投诉另立案件",
    "case.first_contact": "首日对接",
    "case.note_added": "登记办理情况",
    "case.major_set": "设定重大案件/包案领导",
    "case.clue_answered": "答复全国平台线索",
    "case.worker_rated": "劳动者评价",
    "case.evidence_added": "上传材料",
    "case.deadline_recomputed": "日历变更,重新计算期限",
    "complaint.registered": "登记投诉",
    # escalation paths (escalations.py)
    "case.escalation_opened": "启动升级处置",
    "case.escalation_proposed": "提请应急周转金垫付(待审批)",
    "case.escalation_approved": "批准应急周转金垫付",
    "case.escalation_rejected": "不予批准垫付",
    "case.escalation_closed": "升级处置办结",
    "case.escalation_recovery": "登记垫付追偿",
    # the periodic job (sweep.py)
    "case.deadline_overdue": "期限已逾期",
    "case.deadline_escalated": "逾期按规则升级",
    "deadline_rule.updated": "修改期限提醒与升级规则",
    # follow-ups (followups.py)
    "case.follow_up_created": "安排回头看",
    "case.follow_up_completed": "完成回头看/跟踪回访",
    "routingrule.created": "新建分派规则",
    "routingrule.updated": "修改分派规则",
    "majorcasethreshold.updated": "修改重大案件标准",
    "clueoutcome.created": "新建线索核查结果",
    "clueoutcome.updated": "修改线索核查结果",
}


PAYLOAD_KEY_LABELS = {
    "from": "原状态",
    "to": "新状态",
    "number": "编号",
    "complaint": "投诉编号",
    "complaints": "投诉",
    "case": "案件",
    "channel": "渠道",
    "relation": "关系",
    "order_number": "转办单号",
    "lead": "牵头单位",
    "assisting": "协办单位",
    "copy": "抄送",
    "notified": "告知",
    "due_at": "期限",
    "due_provisional": "期限暂定",
    "rule": "分派规则",
    "responsible_person": "责任人",
    "amount_owed": "欠薪金额",
    "worker_count": "人数",
    "amount_verified": "核实金额",
    "workers_verified": "核实人数",
    "facts_clear": "事实清楚",
    "amount_paid": "已付金额",
    "workers_paid": "已付人数",
    "summary": "结果",
    "note": "说明",
    "text": "内容",
    "into": "并入",
    "new_case": "新案件",
    "split_from": "拆自",
    "major": "重大",
    "is_major": "重大案件",
    "leader": "包案领导",
    "outcome": "结果",
    "reply": "答复",
    "rating": "评价",
    "comment": "意见",
    "unit": "单位",
    "resolved": "已解决",
    "paid_in_full": "足额",
    "lawful": "合法",
    "satisfied": "满意",
    "method": "方式",
    "kind": "类型",
    "old_due_at": "原期限",
    "new_due_at": "新期限",
    "provisional": "暂定",
    "was_provisional": "原为暂定",
    "purpose": "用途",
    "received_at": "收到时间",
    "external_id": "渠道编号",
    "complainant": "投诉人",
    "employer": "用人单位",
    "territory": "辖区",
    "recovered": "累计追回",
    "remaining": "尚待追回",
    "recovered_on": "追回日期",
    "reopened": "重新办理",
    "details": "其他情况",
    "grounds": "移送理由",
    "requested_on": "申请日期",
    "court": "法院",
    "from_case": "原案件",
    "judicial_confirmation": "司法确认",
}
# Internal ids of no use to a reader: the event already says which escalation, deadline or
# follow-up by its kind.
HIDDEN_PAYLOAD_KEYS = {"escalation", "deadline", "follow_up"}


def payload_value_labels() -> dict[str, dict[str, str]]:
    """Codes under one payload key of the case events, in words."""
    from .escalations import CRIMINAL_GROUNDS
    from .models import Callback

    return {"method": dict(Callback.Method.choices), "grounds": dict(CRIMINAL_GROUNDS)}


def value_labels() -> dict[str, str]:
    from wagewatch.intake.models import Channel

    from .models import CaseState, DeadlineKind

    labels = {state.value: state.label for state in CaseState}
    labels.update({c.value: c.label for c in Channel})
    labels.update({k.value: k.label for k in DeadlineKind if k.value not in labels})
    return labels


# A dispatched case waits for its lead unit to sign: the office reads "已转办" (it has handed the
# case on), the lead unit "待签收" (its move), an assisting unit "待牵头单位签收".
DISPATCHED_LABEL_FOR_LEAD = "待签收"
DISPATCHED_LABEL_FOR_OTHERS = "待牵头单位签收"


def state_label_for(case, user) -> str:
    """The state of `case` in the words of the person looking at it."""
    from wagewatch.core.models import Role

    from .models import CaseState

    label = CaseState(case.state).label if case.state in CaseState.values else case.state
    if case.state != CaseState.DISPATCHED or user is None or not getattr(user, "is_authenticated", False):
        return label
    from .services import OFFICE_ROLES

    if user.role in OFFICE_ROLES or user.role == Role.GRID_WORKER:
        return label
    if user.organisation_id and user.organisation_id == case.lead_organisation_id:
        return DISPATCHED_LABEL_FOR_LEAD
    if user.organisation_id:
        return DISPATCHED_LABEL_FOR_OTHERS
    return label

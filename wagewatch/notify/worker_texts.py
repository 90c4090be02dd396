"""What a complainant reads by SMS when their case changes state, in plain words.

One template per target state of the case lifecycle; `{number}` is the case number and
`{deadline}` the clause ",将于2026年11月30日前办结" (empty when the case has no next deadline
or the state has none to announce).
"""

from __future__ import annotations

from django.conf import settings

from .sms import sms_signed

DEFAULT_WORKER_SITE_URL = "http://127.0.0.1:8000"

TEMPLATES: dict[str, str] = {
    "registered": "您反映的欠薪问题已登记,案件编号{number}{deadline}。",
    "dispatched": "您反映的欠薪问题(案件编号{number})已转交责任单位办理{deadline}。",
    "accepted": "您反映的欠薪问题(案件编号{number})已由责任单位受理{deadline}。",
    "verifying": "您反映的欠薪问题(案件编号{number}),责任单位正在调查核实{deadline}。",
    "handling": "您反映的欠薪问题(案件编号{number})正在处理中{deadline}。",
    "resolved": "您反映的欠薪问题(案件编号{number})已处理完毕,工作人员将回访听取您的意见。",
    "called_back": "您反映的欠薪问题(案件编号{number})已完成回访,感谢您反馈意见。",
    "closed": "您反映的欠薪问题(案件编号{number})已办结。如仍有问题,可再次反映。",
    "returned": "您反映的欠薪问题(案件编号{number})正在重新安排办理单位,请耐心等待{deadline}。",
    "reopened": "根据您的意见,您反映的欠薪问题(案件编号{number})已重新办理{deadline}。",
    "merged": "您反映的欠薪问题已与同一问题的其他投诉合并办理,案件编号{number}{deadline}。",
}
# A state the templates do not know (a new one added later) still gets a truthful message.
FALLBACK = "您反映的欠薪问题(案件编号{number})办理状态已更新为“{state}”{deadline}。"
STATES_WITHOUT_DEADLINE = {"resolved", "called_back", "closed"}


def track_url() -> str:
    base = getattr(settings, "WORKER_SITE_URL", "") or DEFAULT_WORKER_SITE_URL
    return base.rstrip("/") + "/w/track/"


def worker_message_text(case, to_state: str) -> str:
    """The full SMS (signature, body, tracking link) for `case` having moved to `to_state`.

    `case` offers `number`, `get_state_display()` and `next_deadline_text()` (see the signal
    `wagewatch.cases.signals.case_transitioned`)."""
    deadline = ""
    if to_state not in STATES_WITHOUT_DEADLINE:
        text = (case.next_deadline_text() or "").strip()
        if text:
            deadline = f",将于{text}"
    template = TEMPLATES.get(to_state, FALLBACK)
    body = template.format(number=case.number, deadline=deadline, state=case.get_state_display())
    return sms_signed(f"{body}查询进度请访问 {track_url()}")
